// SPDX-License-Identifier: GPL-2.0
/* netload.c: IPv6 loopback traffic for the net/ipv6 end-to-end workload
 * (busybox's nc has neither UDP nor IPv6 listening). Built static by
 * scripts/e2e/run.ts and run inside the guest:
 *   netload tcp PORT BYTES     a server and a client over [::1]: BYTES sent and echoed back
 *   netload udp PORT COUNT     COUNT datagrams of varied sizes to [::1] and back
 * Exit status 0 when every byte came back. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_in6 loopback(int port)
{
	struct sockaddr_in6 a;

	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	a.sin6_addr = in6addr_loopback;
	return a;
}

static int tcp(int port, long bytes)
{
	struct sockaddr_in6 a = loopback(port);
	int one = 1, ls = socket(AF_INET6, SOCK_STREAM, 0), c, s;
	char buf[4096];
	long sent = 0, got = 0;
	pid_t pid;

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1)) {
		perror("tcp listen");
		return 1;
	}
	pid = fork();
	if (pid == 0) { /* the echo server */
		ssize_t n;

		s = accept(ls, NULL, NULL);
		while (s >= 0 && (n = read(s, buf, sizeof(buf))) > 0)
			if (write(s, buf, n) != n)
				_exit(1);
		_exit(0);
	}
	c = socket(AF_INET6, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a))) {
		perror("tcp connect");
		return 1;
	}
	while (got < bytes) {
		ssize_t n;

		if (sent < bytes) {
			long k = bytes - sent < (long)sizeof(buf) ? bytes - sent : (long)sizeof(buf);

			memset(buf, (int)(sent & 0xff), k);
			n = write(c, buf, k);
			if (n <= 0)
				return 1;
			sent += n;
		}
		n = read(c, buf, sizeof(buf));
		if (n <= 0)
			return 1;
		got += n;
	}
	close(c);
	waitpid(pid, NULL, 0);
	return 0;
}

static int udp(int port, int count)
{
	struct sockaddr_in6 a = loopback(port), from;
	socklen_t fl = sizeof(from);
	int s = socket(AF_INET6, SOCK_DGRAM, 0), c = socket(AF_INET6, SOCK_DGRAM, 0), i;
	char buf[2000];

	if (s < 0 || c < 0 || bind(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("udp bind");
		return 1;
	}
	for (i = 0; i < count; i++) {
		int len = 1 + (i * 97) % 1400;

		memset(buf, i, len);
		if (sendto(c, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) != len)
			return 1;
		if (recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) != len)
			return 1;
		if (sendto(s, buf, len, 0, (struct sockaddr *)&from, fl) != len)
			return 1;
		if (recv(c, buf, sizeof(buf), 0) != len)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tcp"))
		return tcp(atoi(argv[2]), atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "udp"))
		return udp(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: netload tcp PORT BYTES | udp PORT COUNT\n");
	return 2;
}
