// SPDX-License-Identifier: GPL-2.0
/* attackhelp: the guest side of the attack matrix and the injected writes
 * (scripts/e2e/attack.ts). Each subcommand makes the kernel hold one exploit
 * target, or makes one injected write through kcdemo's `poke`:
 *   msg          a kcdemo hole of 64 bytes, then a msg_msg (msgsnd, 16-byte text:
 *                48 + 16 bytes, kmalloc-cg-64) that reuses it; the queue stays
 *   hold-pipe    a hole of 1024 bytes, then pipe(): the pipe_buffer array (16 x 40
 *                bytes, kmalloc-cg-1k) reuses it; holds the pipe until killed
 *   hold-seq     a hole of 32 bytes, then /proc/self/stat opened: single_open's
 *                seq_operations (32 bytes, kmalloc-cg-32); holds it until killed
 *   freed        a hole of 96 bytes left free
 *   poke ADDR XOR
 *                the injected write of kcdemo's poke (XOR 0 keeps the value)
 *   cmd COMMAND  one kcdemo command (issue 11's cpy, stos, straddle, pcpu): exit 0 when it
 *                returned, 1 when it failed (-EAGAIN: no adjacent neighbour found)
 *   poke-cred OFFSET UID
 *                becomes UID, finds its own struct cred (kcdemo's targets, read
 *                back from the kernel log), and XORs the uid field at OFFSET with
 *                UID: uid 0. It prints the uid it then has; a task the run time
 *                kills (--on-violation kill) never returns to print it
 *   hijack FN ARG
 *                (issue 16) becomes uid 1000, points kcdemo's ops table entry 0 at the
 *                kernel function FN (hex; commit_creds) with kcdemo's `opset` and
 *                calls it with ARG (hex; &init_cred) through `op`: uid 0 unless the
 *                run time kills the task at the hijacked call. Prints the uid it then has
 * Each step runs in this one process, so nothing allocates between the hole and
 * its reuse (one CPU: SLUB hands the freed slot out first). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/klog.h>
#include <sys/msg.h>
#include <unistd.h>

static int kcdemo(const char *cmd)
{
	int fd = open("/dev/kcdemo", O_WRONLY);
	ssize_t n;

	if (fd < 0) {
		perror("/dev/kcdemo");
		return -1;
	}
	n = write(fd, cmd, strlen(cmd));
	close(fd);
	return n == (ssize_t)strlen(cmd) ? 0 : -1;
}

static void hold(void)
{
	printf("KC-ATTACK holding\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "msg")) {
		struct { long mtype; char mtext[16]; } m = { 1, "kcompart-target" };
		int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

		if (q < 0 || kcdemo("hole 64") || msgsnd(q, &m, sizeof(m.mtext), 0)) {
			perror("msg");
			return 1;
		}
		printf("KC-ATTACK msg queue %d\n", q);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "hold-pipe")) {
		int p[2];

		if (kcdemo("hole 1024") || pipe(p)) {
			perror("pipe");
			return 1;
		}
		hold();
	}
	if (argc >= 2 && !strcmp(argv[1], "hold-seq")) {
		if (kcdemo("hole 32") || open("/proc/self/stat", O_RDONLY) < 0) {
			perror("seq");
			return 1;
		}
		hold();
	}
	if (argc >= 2 && !strcmp(argv[1], "freed"))
		return kcdemo("hole 96") ? 1 : 0;
	if (argc >= 4 && !strcmp(argv[1], "poke-cred")) {
		static char log[1 << 17];
		unsigned long long cred = 0;
		long offset = strtol(argv[2], NULL, 0);
		int uid = atoi(argv[3]), n;
		char cmd[96], *at, *last = NULL;

		if (setuid((uid_t)uid) || kcdemo("targets") || (n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1)) < 0) {
			perror("poke-cred");
			return 1;
		}
		log[n] = 0;
		for (at = log; (at = strstr(at, "kcdemo: target cred ")); at++)
			last = at;
		if (!last || sscanf(last, "kcdemo: target cred %llx", &cred) != 1) {
			fprintf(stderr, "poke-cred: no cred address in the kernel log\n");
			return 1;
		}
		snprintf(cmd, sizeof(cmd), "poke %llx %d", cred + offset, uid);
		printf("KC-ATTACK poke-cred cred=%llx uid=%d\n", cred, (int)getuid());
		fflush(stdout);
		if (kcdemo(cmd))
			return 1;
		printf("KC-ATTACK after poke-cred uid=%d\n", (int)getuid());
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "cmd")) {
		printf("KC-ATTACK cmd %s as uid %d\n", argv[2], (int)getuid());
		fflush(stdout);
		return kcdemo(argv[2]) ? 1 : 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "poke")) {
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "poke %s %s", argv[2], argv[3]);
		printf("KC-ATTACK poke %s as uid %d\n", argv[2], (int)getuid());
		fflush(stdout);
		if (kcdemo(cmd))
			return 1;
		printf("KC-ATTACK after poke uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "hijack")) {
		/* ---- indirect calls (issue 16): the hijacked function pointer ---- */
		char cmd[96];

		if (setuid(1000)) {
			perror("hijack");
			return 1;
		}
		snprintf(cmd, sizeof(cmd), "opset 0 %s", argv[2]);
		if (kcdemo(cmd))
			return 1;
		printf("KC-ATTACK hijack fn=%s arg=%s uid=%d\n", argv[2], argv[3], (int)getuid());
		fflush(stdout);
		snprintf(cmd, sizeof(cmd), "op sum %llu", strtoull(argv[3], NULL, 16));
		if (kcdemo(cmd))
			return 1;
		printf("KC-ATTACK after hijack uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
		return 0;
	}
	fprintf(stderr, "usage: attackhelp msg|hold-pipe|hold-seq|freed|cmd COMMAND|poke ADDR XOR|poke-cred OFFSET UID|hijack FN ARG\n");
	return 2;
}
