; ModuleID = 'examples/data/minicompart.c'
source_filename = "examples/data/minicompart.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@mini_conn_list = dso_local local_unnamed_addr global ptr null, align 8, !dbg !0
@mini_conn_count = dso_local local_unnamed_addr global i64 0, align 8, !dbg !5

; Function Attrs: nounwind
define dso_local ptr @mini_conn_alloc(i32 noundef %id, i16 noundef zeroext %port, i32 noundef %gfp) local_unnamed_addr #0 !dbg !39 {
entry:
    #dbg_value(i32 %id, !44, !DIExpression(), !48)
    #dbg_value(i16 %port, !45, !DIExpression(), !48)
    #dbg_value(i32 %gfp, !46, !DIExpression(), !48)
  %call = tail call ptr @__kmalloc(i64 noundef 48, i32 noundef %gfp) #4, !dbg !49
    #dbg_value(ptr %call, !47, !DIExpression(), !48)
  %tobool.not = icmp eq ptr %call, null, !dbg !50
  br i1 %tobool.not, label %cleanup, label %if.end, !dbg !52, !prof !53

if.end:                                           ; preds = %entry
  store i32 %id, ptr %call, align 8, !dbg !54, !tbaa !55
  %port5 = getelementptr inbounds i8, ptr %call, i64 4, !dbg !64
  store i16 %port, ptr %port5, align 4, !dbg !65, !tbaa !66
  %flags = getelementptr inbounds i8, ptr %call, i64 7, !dbg !67
  %stats = getelementptr inbounds i8, ptr %call, i64 8, !dbg !68
  store i64 0, ptr %stats, align 8, !dbg !69, !tbaa !70
  %bytes = getelementptr inbounds i8, ptr %call, i64 16, !dbg !71
  store i64 0, ptr %bytes, align 8, !dbg !72, !tbaa !73
  %cookie = getelementptr inbounds i8, ptr %call, i64 32, !dbg !74
  tail call void @llvm.memset.p0.i64(ptr noundef nonnull align 8 dereferenceable(16) %cookie, i8 0, i64 16, i1 false), !dbg !75
    #dbg_value(ptr %call, !76, !DIExpression(), !82)
    #dbg_value(i8 1, !81, !DIExpression(), !82)
  %state1.i = getelementptr inbounds i8, ptr %call, i64 6, !dbg !84
  store i8 1, ptr %state1.i, align 2, !dbg !85, !tbaa !86
  store i8 1, ptr %flags, align 1, !dbg !87, !tbaa !88
  %0 = load ptr, ptr @mini_conn_list, align 8, !dbg !89, !tbaa !90
  %next = getelementptr inbounds i8, ptr %call, i64 24, !dbg !91
  store ptr %0, ptr %next, align 8, !dbg !92, !tbaa !93
  store ptr %call, ptr @mini_conn_list, align 8, !dbg !94, !tbaa !90
  %1 = load i64, ptr @mini_conn_count, align 8, !dbg !95, !tbaa !96
  %inc = add i64 %1, 1, !dbg !95
  store i64 %inc, ptr @mini_conn_count, align 8, !dbg !95, !tbaa !96
  br label %cleanup, !dbg !98

cleanup:                                          ; preds = %entry, %if.end
  ret ptr %call, !dbg !99
}

declare !dbg !100 dso_local ptr @__kmalloc(i64 noundef, i32 noundef) local_unnamed_addr #1

; Function Attrs: mustprogress nocallback nofree nounwind willreturn memory(argmem: write)
declare void @llvm.memset.p0.i64(ptr nocapture writeonly, i8, i64, i1 immarg) #2

; Function Attrs: mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: readwrite)
define dso_local void @mini_conn_rx(ptr nocapture noundef %c, i32 noundef %len) local_unnamed_addr #3 !dbg !104 {
entry:
    #dbg_value(ptr %c, !108, !DIExpression(), !110)
    #dbg_value(i32 %len, !109, !DIExpression(), !110)
  %state = getelementptr inbounds i8, ptr %c, i64 6, !dbg !111
  %0 = load i8, ptr %state, align 2, !dbg !111, !tbaa !86
  %cmp = icmp eq i8 %0, 1, !dbg !111
  br i1 %cmp, label %if.then, label %if.end, !dbg !113, !prof !114

if.then:                                          ; preds = %entry
  %stats = getelementptr inbounds i8, ptr %c, i64 8, !dbg !115
    #dbg_value(ptr %stats, !116, !DIExpression(), !123)
    #dbg_value(i32 %len, !122, !DIExpression(), !123)
  %conv.i = zext i32 %len to i64, !dbg !125
  %1 = load <2 x i64>, ptr %stats, align 8, !dbg !126, !tbaa !127
  %2 = insertelement <2 x i64> <i64 1, i64 poison>, i64 %conv.i, i64 1, !dbg !126
  %3 = add <2 x i64> %1, %2, !dbg !126
  store <2 x i64> %3, ptr %stats, align 8, !dbg !126, !tbaa !127
  br label %if.end, !dbg !128

if.end:                                           ; preds = %if.then, %entry
  ret void, !dbg !129
}

; Function Attrs: nounwind
define dso_local void @mini_conn_free(ptr noundef %c) local_unnamed_addr #0 !dbg !130 {
entry:
    #dbg_value(ptr %c, !134, !DIExpression(), !135)
    #dbg_value(ptr %c, !76, !DIExpression(), !136)
    #dbg_value(i8 0, !81, !DIExpression(), !136)
  %state1.i = getelementptr inbounds i8, ptr %c, i64 6, !dbg !138
  store i8 0, ptr %state1.i, align 2, !dbg !139, !tbaa !86
  %flags.i = getelementptr inbounds i8, ptr %c, i64 7, !dbg !140
  %0 = load i8, ptr %flags.i, align 1, !dbg !141, !tbaa !88
  %1 = or i8 %0, 1, !dbg !141
  store i8 %1, ptr %flags.i, align 1, !dbg !141, !tbaa !88
  %2 = load i64, ptr @mini_conn_count, align 8, !dbg !142, !tbaa !96
  %dec = add i64 %2, -1, !dbg !142
  store i64 %dec, ptr @mini_conn_count, align 8, !dbg !142, !tbaa !96
  tail call void @kfree(ptr noundef %c) #4, !dbg !143
  ret void, !dbg !144
}

declare !dbg !145 dso_local void @kfree(ptr noundef) local_unnamed_addr #1

attributes #0 = { nounwind "min-legal-vector-width"="0" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #1 = { "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #2 = { mustprogress nocallback nofree nounwind willreturn memory(argmem: write) }
attributes #3 = { mustprogress nofree norecurse nosync nounwind willreturn memory(argmem: readwrite) "min-legal-vector-width"="0" "no-builtins" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }
attributes #4 = { nobuiltin nounwind "no-builtins" }

!llvm.dbg.cu = !{!2}
!llvm.module.flags = !{!33, !34, !35, !36, !37}
!llvm.ident = !{!38}

!0 = !DIGlobalVariableExpression(var: !1, expr: !DIExpression())
!1 = distinct !DIGlobalVariable(name: "mini_conn_list", scope: !2, file: !3, line: 44, type: !8, isLocal: false, isDefinition: true)
!2 = distinct !DICompileUnit(language: DW_LANG_C11, file: !3, producer: "Debian clang version 19.1.7 (3~deb12u1)", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, globals: !4, splitDebugInlining: false, nameTableKind: None)
!3 = !DIFile(filename: "examples/data/minicompart.c", directory: ".", checksumkind: CSK_MD5, checksum: "3767842ee1649531704e670ffb2bace6")
!4 = !{!5, !0}
!5 = !DIGlobalVariableExpression(var: !6, expr: !DIExpression())
!6 = distinct !DIGlobalVariable(name: "mini_conn_count", scope: !2, file: !3, line: 43, type: !7, isLocal: false, isDefinition: true)
!7 = !DIBasicType(name: "unsigned long", size: 64, encoding: DW_ATE_unsigned)
!8 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !9, size: 64)
!9 = distinct !DICompositeType(tag: DW_TAG_structure_type, name: "mini_conn", file: !3, line: 32, size: 384, elements: !10)
!10 = !{!11, !14, !17, !20, !21, !28, !29}
!11 = !DIDerivedType(tag: DW_TAG_member, name: "id", scope: !9, file: !3, line: 33, baseType: !12, size: 32)
!12 = !DIDerivedType(tag: DW_TAG_typedef, name: "u32", file: !3, line: 13, baseType: !13)
!13 = !DIBasicType(name: "unsigned int", size: 32, encoding: DW_ATE_unsigned)
!14 = !DIDerivedType(tag: DW_TAG_member, name: "port", scope: !9, file: !3, line: 34, baseType: !15, size: 16, offset: 32)
!15 = !DIDerivedType(tag: DW_TAG_typedef, name: "u16", file: !3, line: 12, baseType: !16)
!16 = !DIBasicType(name: "unsigned short", size: 16, encoding: DW_ATE_unsigned)
!17 = !DIDerivedType(tag: DW_TAG_member, name: "state", scope: !9, file: !3, line: 35, baseType: !18, size: 8, offset: 48)
!18 = !DIDerivedType(tag: DW_TAG_typedef, name: "u8", file: !3, line: 11, baseType: !19)
!19 = !DIBasicType(name: "unsigned char", size: 8, encoding: DW_ATE_unsigned_char)
!20 = !DIDerivedType(tag: DW_TAG_member, name: "flags", scope: !9, file: !3, line: 36, baseType: !18, size: 8, offset: 56)
!21 = !DIDerivedType(tag: DW_TAG_member, name: "stats", scope: !9, file: !3, line: 37, baseType: !22, size: 128, offset: 64)
!22 = distinct !DICompositeType(tag: DW_TAG_structure_type, name: "mini_stats", file: !3, line: 27, size: 128, elements: !23)
!23 = !{!24, !27}
!24 = !DIDerivedType(tag: DW_TAG_member, name: "packets", scope: !22, file: !3, line: 28, baseType: !25, size: 64)
!25 = !DIDerivedType(tag: DW_TAG_typedef, name: "u64", file: !3, line: 14, baseType: !26)
!26 = !DIBasicType(name: "unsigned long long", size: 64, encoding: DW_ATE_unsigned)
!27 = !DIDerivedType(tag: DW_TAG_member, name: "bytes", scope: !22, file: !3, line: 29, baseType: !25, size: 64, offset: 64)
!28 = !DIDerivedType(tag: DW_TAG_member, name: "next", scope: !9, file: !3, line: 38, baseType: !8, size: 64, offset: 192)
!29 = !DIDerivedType(tag: DW_TAG_member, name: "cookie", scope: !9, file: !3, line: 39, baseType: !30, size: 128, offset: 256)
!30 = !DICompositeType(tag: DW_TAG_array_type, baseType: !18, size: 128, elements: !31)
!31 = !{!32}
!32 = !DISubrange(count: 16)
!33 = !{i32 7, !"Dwarf Version", i32 5}
!34 = !{i32 2, !"Debug Info Version", i32 3}
!35 = !{i32 1, !"wchar_size", i32 4}
!36 = !{i32 1, !"Code Model", i32 2}
!37 = !{i32 7, !"debug-info-assignment-tracking", i1 true}
!38 = !{!"Debian clang version 19.1.7 (3~deb12u1)"}
!39 = distinct !DISubprogram(name: "mini_conn_alloc", scope: !3, file: !3, line: 58, type: !40, scopeLine: 59, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !2, retainedNodes: !43)
!40 = !DISubroutineType(types: !41)
!41 = !{!8, !12, !15, !42}
!42 = !DIDerivedType(tag: DW_TAG_typedef, name: "gfp_t", file: !3, line: 15, baseType: !13)
!43 = !{!44, !45, !46, !47}
!44 = !DILocalVariable(name: "id", arg: 1, scope: !39, file: !3, line: 58, type: !12)
!45 = !DILocalVariable(name: "port", arg: 2, scope: !39, file: !3, line: 58, type: !15)
!46 = !DILocalVariable(name: "gfp", arg: 3, scope: !39, file: !3, line: 58, type: !42)
!47 = !DILocalVariable(name: "c", scope: !39, file: !3, line: 60, type: !8)
!48 = !DILocation(line: 0, scope: !39)
!49 = !DILocation(line: 62, column: 6, scope: !39)
!50 = !DILocation(line: 63, column: 6, scope: !51)
!51 = distinct !DILexicalBlock(scope: !39, file: !3, line: 63, column: 6)
!52 = !DILocation(line: 63, column: 6, scope: !39)
!53 = !{!"branch_weights", !"expected", i32 1, i32 2000}
!54 = !DILocation(line: 66, column: 8, scope: !39)
!55 = !{!56, !57, i64 0}
!56 = !{!"mini_conn", !57, i64 0, !60, i64 4, !58, i64 6, !58, i64 7, !61, i64 8, !63, i64 24, !58, i64 32}
!57 = !{!"int", !58, i64 0}
!58 = !{!"omnipotent char", !59, i64 0}
!59 = !{!"Simple C/C++ TBAA"}
!60 = !{!"short", !58, i64 0}
!61 = !{!"mini_stats", !62, i64 0, !62, i64 8}
!62 = !{!"long long", !58, i64 0}
!63 = !{!"any pointer", !58, i64 0}
!64 = !DILocation(line: 67, column: 5, scope: !39)
!65 = !DILocation(line: 67, column: 10, scope: !39)
!66 = !{!56, !60, i64 4}
!67 = !DILocation(line: 68, column: 5, scope: !39)
!68 = !DILocation(line: 69, column: 5, scope: !39)
!69 = !DILocation(line: 69, column: 19, scope: !39)
!70 = !{!56, !62, i64 8}
!71 = !DILocation(line: 70, column: 11, scope: !39)
!72 = !DILocation(line: 70, column: 17, scope: !39)
!73 = !{!56, !62, i64 16}
!74 = !DILocation(line: 71, column: 22, scope: !39)
!75 = !DILocation(line: 71, column: 2, scope: !39)
!76 = !DILocalVariable(name: "c", arg: 1, scope: !77, file: !3, line: 52, type: !8)
!77 = distinct !DISubprogram(name: "mini_set_state", scope: !3, file: !3, line: 52, type: !78, scopeLine: 53, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, spFlags: DISPFlagLocalToUnit | DISPFlagDefinition | DISPFlagOptimized, unit: !2, retainedNodes: !80)
!78 = !DISubroutineType(types: !79)
!79 = !{null, !8, !18}
!80 = !{!76, !81}
!81 = !DILocalVariable(name: "state", arg: 2, scope: !77, file: !3, line: 52, type: !18)
!82 = !DILocation(line: 0, scope: !77, inlinedAt: !83)
!83 = distinct !DILocation(line: 72, column: 2, scope: !39)
!84 = !DILocation(line: 54, column: 5, scope: !77, inlinedAt: !83)
!85 = !DILocation(line: 54, column: 11, scope: !77, inlinedAt: !83)
!86 = !{!56, !58, i64 6}
!87 = !DILocation(line: 55, column: 11, scope: !77, inlinedAt: !83)
!88 = !{!56, !58, i64 7}
!89 = !DILocation(line: 74, column: 12, scope: !39)
!90 = !{!63, !63, i64 0}
!91 = !DILocation(line: 74, column: 5, scope: !39)
!92 = !DILocation(line: 74, column: 10, scope: !39)
!93 = !{!56, !63, i64 24}
!94 = !DILocation(line: 75, column: 17, scope: !39)
!95 = !DILocation(line: 76, column: 17, scope: !39)
!96 = !{!97, !97, i64 0}
!97 = !{!"long", !58, i64 0}
!98 = !DILocation(line: 77, column: 2, scope: !39)
!99 = !DILocation(line: 78, column: 1, scope: !39)
!100 = !DISubprogram(name: "__kmalloc", scope: !3, file: !3, line: 24, type: !101, flags: DIFlagPrototyped, spFlags: DISPFlagOptimized)
!101 = !DISubroutineType(types: !102)
!102 = !{!103, !7, !13}
!103 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: null, size: 64)
!104 = distinct !DISubprogram(name: "mini_conn_rx", scope: !3, file: !3, line: 80, type: !105, scopeLine: 81, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !2, retainedNodes: !107)
!105 = !DISubroutineType(types: !106)
!106 = !{null, !8, !12}
!107 = !{!108, !109}
!108 = !DILocalVariable(name: "c", arg: 1, scope: !104, file: !3, line: 80, type: !8)
!109 = !DILocalVariable(name: "len", arg: 2, scope: !104, file: !3, line: 80, type: !12)
!110 = !DILocation(line: 0, scope: !104)
!111 = !DILocation(line: 82, column: 6, scope: !112)
!112 = distinct !DILexicalBlock(scope: !104, file: !3, line: 82, column: 6)
!113 = !DILocation(line: 82, column: 6, scope: !104)
!114 = !{!"branch_weights", !"expected", i32 2000, i32 1}
!115 = !DILocation(line: 83, column: 26, scope: !112)
!116 = !DILocalVariable(name: "st", arg: 1, scope: !117, file: !3, line: 46, type: !120)
!117 = distinct !DISubprogram(name: "mini_stats_account", scope: !3, file: !3, line: 46, type: !118, scopeLine: 47, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, spFlags: DISPFlagLocalToUnit | DISPFlagDefinition | DISPFlagOptimized, unit: !2, retainedNodes: !121)
!118 = !DISubroutineType(types: !119)
!119 = !{null, !120, !12}
!120 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !22, size: 64)
!121 = !{!116, !122}
!122 = !DILocalVariable(name: "len", arg: 2, scope: !117, file: !3, line: 46, type: !12)
!123 = !DILocation(line: 0, scope: !117, inlinedAt: !124)
!124 = distinct !DILocation(line: 83, column: 3, scope: !112)
!125 = !DILocation(line: 49, column: 15, scope: !117, inlinedAt: !124)
!126 = !DILocation(line: 48, column: 13, scope: !117, inlinedAt: !124)
!127 = !{!62, !62, i64 0}
!128 = !DILocation(line: 83, column: 3, scope: !112)
!129 = !DILocation(line: 84, column: 1, scope: !104)
!130 = distinct !DISubprogram(name: "mini_conn_free", scope: !3, file: !3, line: 86, type: !131, scopeLine: 87, flags: DIFlagPrototyped | DIFlagAllCallsDescribed, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !2, retainedNodes: !133)
!131 = !DISubroutineType(types: !132)
!132 = !{null, !8}
!133 = !{!134}
!134 = !DILocalVariable(name: "c", arg: 1, scope: !130, file: !3, line: 86, type: !8)
!135 = !DILocation(line: 0, scope: !130)
!136 = !DILocation(line: 0, scope: !77, inlinedAt: !137)
!137 = distinct !DILocation(line: 88, column: 2, scope: !130)
!138 = !DILocation(line: 54, column: 5, scope: !77, inlinedAt: !137)
!139 = !DILocation(line: 54, column: 11, scope: !77, inlinedAt: !137)
!140 = !DILocation(line: 55, column: 5, scope: !77, inlinedAt: !137)
!141 = !DILocation(line: 55, column: 11, scope: !77, inlinedAt: !137)
!142 = !DILocation(line: 89, column: 17, scope: !130)
!143 = !DILocation(line: 90, column: 2, scope: !130)
!144 = !DILocation(line: 91, column: 1, scope: !130)
!145 = !DISubprogram(name: "kfree", scope: !3, file: !3, line: 25, type: !146, flags: DIFlagPrototyped, spFlags: DISPFlagOptimized)
!146 = !DISubroutineType(types: !147)
!147 = !{null, !148}
!148 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !149, size: 64)
!149 = !DIDerivedType(tag: DW_TAG_const_type, baseType: null)
