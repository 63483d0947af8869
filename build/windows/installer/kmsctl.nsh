; kmsctl.nsh: kmsctl.exe beside kmsdesk.exe, and the optional component that puts the
; install folder on the PATH (off by default; /ADDTOPATH turns it on, e.g. with /S).
; Included by project.nsi after kmsdesk.nsh (it uses $KmsdeskAllUsers and UNINST_KEY),
; only when KMSDESK_KMSCTL_BINARY is defined; needs LogicLib, FileFunc, StrFunc and
; WinMessages.
;
; The PATH is read and written whole as an NSIS string, which holds at most
; NSIS_MAX_STRLEN characters. A longer PATH (ReadRegStr then gives nothing, though the
; value exists) is left alone, and the install log says to add the folder by hand. The
; folder is added once, and the uninstaller takes it out again only when this installer
; put it there ("KmsctlOnPath" in the uninstall key).

${Using:StrFunc} StrLoc
${Using:StrFunc} UnStrRep

!define KMSDESK_ENV_ALL "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"

; KMSDESK_READ_PATH: the PATH of the install scope (all users, or the current user) in
; $R0, and in $R1 whether it can be changed safely (1: read whole or not set; 0: too
; long to read whole, or too long to take one more folder).
!macro KMSDESK_READ_PATH
  StrCpy $R1 1
  ClearErrors
  ${If} $KmsdeskAllUsers == 1
    ReadRegStr $R0 HKLM "${KMSDESK_ENV_ALL}" "Path"
  ${Else}
    ReadRegStr $R0 HKCU "Environment" "Path"
  ${EndIf}
  ${If} ${Errors}
    ; Not set, or longer than an NSIS string: only the value's name tells them apart.
    StrCpy $R2 0
    ${Do}
      ${If} $KmsdeskAllUsers == 1
        EnumRegValue $R3 HKLM "${KMSDESK_ENV_ALL}" $R2
      ${Else}
        EnumRegValue $R3 HKCU "Environment" $R2
      ${EndIf}
      ${If} $R3 == ""
        ${ExitDo}
      ${EndIf}
      ${If} $R3 == "Path" ; StrCmp ignores case, as Windows does
        StrCpy $R1 0
        ${ExitDo}
      ${EndIf}
      IntOp $R2 $R2 + 1
    ${Loop}
  ${EndIf}
  StrLen $R2 $R0
  StrLen $R3 $INSTDIR
  IntOp $R2 $R2 + $R3
  IntOp $R2 $R2 + 2
  ${If} $R2 >= ${NSIS_MAX_STRLEN}
    StrCpy $R1 0
  ${EndIf}
!macroend

; KMSDESK_WRITE_PATH: $R0 becomes the PATH of the install scope (removed when empty), and
; running programs (Explorer, new consoles) are told.
!macro KMSDESK_WRITE_PATH
  ${If} $KmsdeskAllUsers == 1
    ${If} $R0 == ""
      DeleteRegValue HKLM "${KMSDESK_ENV_ALL}" "Path"
    ${Else}
      WriteRegExpandStr HKLM "${KMSDESK_ENV_ALL}" "Path" "$R0"
    ${EndIf}
  ${Else}
    ${If} $R0 == ""
      DeleteRegValue HKCU "Environment" "Path"
    ${Else}
      WriteRegExpandStr HKCU "Environment" "Path" "$R0"
    ${EndIf}
  ${EndIf}
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=5000
!macroend

; KMSDESK_PATH_ADD appends $INSTDIR to the PATH unless it is already on it.
!macro KMSDESK_PATH_ADD
  !insertmacro KMSDESK_READ_PATH
  ${If} $R1 == 0
    DetailPrint "$(KMSDESK_PATH_TOO_LONG)"
  ${Else}
    ${StrLoc} $R2 ";$R0;" ";$INSTDIR;" ">"
    ${If} $R2 == ""
      StrCpy $R3 $R0 1 -1
      ${If} $R3 == ";"
        StrCpy $R0 $R0 -1
      ${EndIf}
      ${If} $R0 == ""
        StrCpy $R0 "$INSTDIR"
      ${Else}
        StrCpy $R0 "$R0;$INSTDIR"
      ${EndIf}
      !insertmacro KMSDESK_WRITE_PATH
      WriteRegDWORD SHELL_CONTEXT "${UNINST_KEY}" "KmsctlOnPath" 1
      DetailPrint "$(KMSDESK_PATH_ADDED)"
    ${EndIf}
  ${EndIf}
!macroend

; KMSDESK_PATH_REMOVE (uninstaller) takes $INSTDIR off the PATH if the installer put it
; there.
!macro KMSDESK_PATH_REMOVE
  ReadRegDWORD $R2 SHELL_CONTEXT "${UNINST_KEY}" "KmsctlOnPath"
  ${If} $R2 == 1
    !insertmacro KMSDESK_READ_PATH
    ${If} $R0 != ""
      ${UnStrRep} $R0 ";$R0;" ";$INSTDIR;" ";"
      StrCpy $R0 $R0 "" 1
      StrCpy $R0 $R0 -1
      !insertmacro KMSDESK_WRITE_PATH
    ${ElseIf} $R1 == 0
      DetailPrint "$(KMSDESK_PATH_LEFT)"
    ${EndIf}
  ${EndIf}
!macroend

; KMSDESK_KMSCTL_SECTIONS: the "Add kmsctl to the PATH" component, and /ADDTOPATH.
!macro KMSDESK_KMSCTL_SECTIONS
  Section /o "$(KMSDESK_PATH_SECTION)" SecKmsctlPath
    !insertmacro KMSDESK_PATH_ADD
  SectionEnd

  Section "-PathFromCommandLine"
    ${GetParameters} $R0
    ClearErrors
    ${GetOptions} $R0 "/ADDTOPATH" $R1
    ${IfNot} ${Errors}
    ${AndIfNot} ${SectionIsSelected} ${SecKmsctlPath}
      !insertmacro KMSDESK_PATH_ADD
    ${EndIf}
  SectionEnd
!macroend
