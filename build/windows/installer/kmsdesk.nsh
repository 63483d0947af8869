; kmsdesk.nsh: the macros project.nsi uses (install scope, platform check, WebView2,
; .kmsenc association, Explorer context-menu verbs, uninstall entry). Included by project.nsi; needs LogicLib,
; FileFunc, WinVer and x64 (project.nsi includes them) and the defines PRODUCT_NAME,
; PRODUCT_EXECUTABLE, PRODUCT_DIRNAME, COMPANY_NAME, UNINST_KEY, KMSDESK_VERSION and
; KMSDESK_WEBVIEW2_BOOTSTRAPPER.

!define KMSDESK_EXT ".kmsenc"
!define KMSDESK_PROGID "KMSDesk.kmsenc"
!define KMSDESK_MIME "application/x-kmsenc"
!define KMSDESK_WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

; 1 = all users (HKLM, $PROGRAMFILES64), 0 = the current user (HKCU, $LOCALAPPDATA\Programs).
Var KmsdeskAllUsers

; Windows 10 or later on x64; Windows 11 on Arm runs the x64 build under emulation.
!macro KMSDESK_CHECK_PLATFORM
  ${IfNot} ${AtLeastBuild} 10240
    ${IfNot} ${Silent}
      MessageBox MB_ICONSTOP|MB_OK "$(KMSDESK_NEEDS_WIN10)"
    ${EndIf}
    SetErrorLevel 64
    Quit
  ${EndIf}
  ${IfNot} ${IsNativeAMD64}
    ${IfNot} ${IsNativeARM64}
    ${OrIfNot} ${AtLeastBuild} 22000
      ${IfNot} ${Silent}
        MessageBox MB_ICONSTOP|MB_OK "$(KMSDESK_NEEDS_X64)"
      ${EndIf}
      SetErrorLevel 65
      Quit
    ${EndIf}
  ${EndIf}
!macroend

; Chooses per-user (default) or all-users (/ALLUSERS, elevated) and the install folder.
; /D=<dir> on the command line wins; an existing install of the same scope is upgraded
; in place.
!macro KMSDESK_INIT_SCOPE
  SetRegView 64
  StrCpy $KmsdeskAllUsers 0
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/ALLUSERS" $R1
  ${IfNot} ${Errors}
    UserInfo::GetAccountType
    Pop $R2
    ${If} $R2 != "Admin"
      ${IfNot} ${Silent}
        MessageBox MB_ICONSTOP|MB_OK "$(KMSDESK_NEEDS_ADMIN)"
      ${EndIf}
      SetErrorLevel 740 ; ERROR_ELEVATION_REQUIRED
      Quit
    ${EndIf}
    StrCpy $KmsdeskAllUsers 1
    SetShellVarContext all
  ${Else}
    SetShellVarContext current
  ${EndIf}
  ${If} $INSTDIR == ""
    ReadRegStr $INSTDIR SHELL_CONTEXT "${UNINST_KEY}" "InstallLocation"
  ${EndIf}
  ${If} $INSTDIR == ""
    ${If} $KmsdeskAllUsers == 1
      StrCpy $INSTDIR "$PROGRAMFILES64\${PRODUCT_DIRNAME}"
    ${Else}
      StrCpy $INSTDIR "$LOCALAPPDATA\Programs\${PRODUCT_DIRNAME}"
    ${EndIf}
  ${EndIf}
!macroend

; The uninstaller finds its scope from where it runs: the all-users entry in HKLM points
; at its folder, or it was a per-user install.
!macro KMSDESK_UN_INIT_SCOPE
  SetRegView 64
  StrCpy $KmsdeskAllUsers 0
  ReadRegStr $R0 HKLM "${UNINST_KEY}" "InstallLocation"
  ${If} $R0 != ""
  ${AndIf} $R0 == $INSTDIR
    StrCpy $KmsdeskAllUsers 1
  ${EndIf}
  ${If} $KmsdeskAllUsers == 1
    UserInfo::GetAccountType
    Pop $R1
    ${If} $R1 != "Admin"
      ${IfNot} ${Silent}
        MessageBox MB_ICONSTOP|MB_OK "$(KMSDESK_UN_NEEDS_ADMIN)"
      ${EndIf}
      SetErrorLevel 740
      Quit
    ${EndIf}
    SetShellVarContext all
  ${Else}
    SetShellVarContext current
  ${EndIf}
!macroend

; Installs the Evergreen WebView2 Runtime with Microsoft's bootstrapper when neither a
; per-machine nor a per-user runtime is registered. The bootstrapper downloads the
; runtime (the PC needs internet access); run from a non-elevated installer it installs
; the runtime for the current user.
!macro KMSDESK_WEBVIEW2
  ReadRegStr $R0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${KMSDESK_WEBVIEW2_GUID}" "pv"
  ${If} $R0 == ""
  ${OrIf} $R0 == "0.0.0.0"
    ReadRegStr $R0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${KMSDESK_WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $R0 == ""
  ${OrIf} $R0 == "0.0.0.0"
    DetailPrint "$(KMSDESK_WEBVIEW2_INSTALLING)"
    InitPluginsDir
    File "/oname=$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" "${KMSDESK_WEBVIEW2_BOOTSTRAPPER}"
    StrCpy $R1 ""
    ClearErrors
    ExecWait '"$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe" /silent /install' $R1
    ${If} ${Errors}
    ${OrIf} $R1 != 0
      DetailPrint "$(KMSDESK_WEBVIEW2_FAILED) [$R1]"
      ${IfNot} ${Silent}
        MessageBox MB_ICONEXCLAMATION|MB_OK "$(KMSDESK_WEBVIEW2_FAILED)"
      ${EndIf}
    ${EndIf}
  ${Else}
    DetailPrint "WebView2 Runtime $R0"
  ${EndIf}
!macroend

; .kmsenc -> KMS Desk. A previous default handler is kept in "KMSDesk.backup" and put
; back by the uninstaller. The command line quotes the program path.
!macro KMSDESK_ASSOCIATE
  ReadRegStr $R0 SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" ""
  ${If} $R0 != ""
  ${AndIf} $R0 != "${KMSDESK_PROGID}"
    WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" "KMSDesk.backup" "$R0"
  ${EndIf}
  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" "" "${KMSDESK_PROGID}"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" "Content Type" "${KMSDESK_MIME}"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}\OpenWithProgids" "${KMSDESK_PROGID}" ""

  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_PROGID}" "" "$(KMSDESK_FILE_TYPE)"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_PROGID}" "FriendlyTypeName" "$(KMSDESK_FILE_TYPE)"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_PROGID}\DefaultIcon" "" "$INSTDIR\${PRODUCT_EXECUTABLE},0"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_PROGID}\shell" "" "open"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_PROGID}\shell\open" "" "$(KMSDESK_OPEN_VERB)"
  WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_PROGID}\shell\open\command" "" '"$INSTDIR\${PRODUCT_EXECUTABLE}" "%1"'

  ; "Open with" for any file (to encrypt it), and `kmsdesk` in Win+R.
  WriteRegStr SHELL_CONTEXT "Software\Classes\Applications\${PRODUCT_EXECUTABLE}" "FriendlyAppName" "${PRODUCT_NAME}"
  WriteRegStr SHELL_CONTEXT "Software\Classes\Applications\${PRODUCT_EXECUTABLE}\SupportedTypes" "${KMSDESK_EXT}" ""
  WriteRegStr SHELL_CONTEXT "Software\Classes\Applications\${PRODUCT_EXECUTABLE}\shell\open\command" "" '"$INSTDIR\${PRODUCT_EXECUTABLE}" "%1"'
  WriteRegStr SHELL_CONTEXT "Software\Microsoft\Windows\CurrentVersion\App Paths\${PRODUCT_EXECUTABLE}" "" "$INSTDIR\${PRODUCT_EXECUTABLE}"

  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)' ; SHCNE_ASSOCCHANGED
!macroend

!macro KMSDESK_UNASSOCIATE
  DeleteRegKey SHELL_CONTEXT "Software\Classes\${KMSDESK_PROGID}"
  DeleteRegValue SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}\OpenWithProgids" "${KMSDESK_PROGID}"
  DeleteRegKey /ifempty SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}\OpenWithProgids"
  ReadRegStr $R0 SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" ""
  ${If} $R0 == "${KMSDESK_PROGID}"
    ReadRegStr $R1 SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" "KMSDesk.backup"
    ${If} $R1 != ""
      WriteRegStr SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" "" "$R1"
    ${Else}
      DeleteRegValue SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" ""
    ${EndIf}
  ${EndIf}
  DeleteRegValue SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" "KMSDesk.backup"
  ReadRegStr $R0 SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" "Content Type"
  ${If} $R0 == "${KMSDESK_MIME}"
    DeleteRegValue SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" "Content Type"
  ${EndIf}
  ; Delete the extension key only when nothing else (values or subkeys) is left in it.
  ClearErrors
  EnumRegValue $R0 SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" 0
  EnumRegKey $R1 SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}" 0
  ${If} $R0 == ""
  ${AndIf} $R1 == ""
    DeleteRegKey SHELL_CONTEXT "Software\Classes\${KMSDESK_EXT}"
  ${EndIf}

  DeleteRegKey SHELL_CONTEXT "Software\Classes\Applications\${PRODUCT_EXECUTABLE}"
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Classes\Applications"
  DeleteRegKey SHELL_CONTEXT "Software\Microsoft\Windows\CurrentVersion\App Paths\${PRODUCT_EXECUTABLE}"
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Microsoft\Windows\CurrentVersion\App Paths"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
!macroend

; Explorer's context menu: "Encrypt with KMS Desk" on every file and folder, "Decrypt
; with KMS Desk" on .kmsenc files (under SystemFileAssociations, so it stays when another
; program becomes the default for .kmsenc). Explorer runs a command-line verb once per
; selected item; MultiSelectModel=Player shows it for up to 100 items (the default,
; Document, hides it above 15), and the running app gathers the launches into one batch
; (app.go handoverBatcher). On Windows 11 these verbs are under "Show more options".
!define KMSDESK_ENCRYPT_FILE_VERB "Software\Classes\*\shell\KMSDesk.Encrypt"
!define KMSDESK_ENCRYPT_DIR_VERB "Software\Classes\Directory\shell\KMSDesk.Encrypt"
!define KMSDESK_DECRYPT_VERB "Software\Classes\SystemFileAssociations\${KMSDESK_EXT}\shell\KMSDesk.Decrypt"

!macro KMSDESK_VERB KEY LABEL SWITCH
  WriteRegStr SHELL_CONTEXT "${KEY}" "MUIVerb" "${LABEL}"
  WriteRegStr SHELL_CONTEXT "${KEY}" "Icon" "$INSTDIR\${PRODUCT_EXECUTABLE},0"
  WriteRegStr SHELL_CONTEXT "${KEY}" "MultiSelectModel" "Player"
  WriteRegStr SHELL_CONTEXT "${KEY}\command" "" '"$INSTDIR\${PRODUCT_EXECUTABLE}" ${SWITCH} "%1"'
!macroend

!macro KMSDESK_CONTEXT_MENU
  !insertmacro KMSDESK_VERB "${KMSDESK_ENCRYPT_FILE_VERB}" "$(KMSDESK_ENCRYPT_VERB)" "--encrypt"
  !insertmacro KMSDESK_VERB "${KMSDESK_ENCRYPT_DIR_VERB}" "$(KMSDESK_ENCRYPT_VERB)" "--encrypt"
  !insertmacro KMSDESK_VERB "${KMSDESK_DECRYPT_VERB}" "$(KMSDESK_DECRYPT_VERB)" "--decrypt"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)' ; SHCNE_ASSOCCHANGED
!macroend

; Deletes KEY when nothing (no value, no subkey) is left in it.
!macro KMSDESK_DELETE_IF_EMPTY KEY
  ClearErrors
  EnumRegValue $R0 SHELL_CONTEXT "${KEY}" 0
  EnumRegKey $R1 SHELL_CONTEXT "${KEY}" 0
  ${If} $R0 == ""
  ${AndIf} $R1 == ""
    DeleteRegKey SHELL_CONTEXT "${KEY}"
  ${EndIf}
!macroend

!macro KMSDESK_REMOVE_CONTEXT_MENU
  DeleteRegKey SHELL_CONTEXT "${KMSDESK_ENCRYPT_FILE_VERB}"
  DeleteRegKey SHELL_CONTEXT "${KMSDESK_ENCRYPT_DIR_VERB}"
  DeleteRegKey SHELL_CONTEXT "${KMSDESK_DECRYPT_VERB}"
  ; The parent keys go too when this install made them (nothing else is in them).
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Classes\*\shell"
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Classes\*"
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Classes\Directory\shell"
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Classes\Directory"
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Classes\SystemFileAssociations\${KMSDESK_EXT}\shell"
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Classes\SystemFileAssociations\${KMSDESK_EXT}"
  !insertmacro KMSDESK_DELETE_IF_EMPTY "Software\Classes\SystemFileAssociations"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
!macroend

!macro KMSDESK_WRITE_UNINSTALL_KEY
  WriteRegStr SHELL_CONTEXT "${UNINST_KEY}" "DisplayName" "${PRODUCT_NAME}"
  WriteRegStr SHELL_CONTEXT "${UNINST_KEY}" "DisplayVersion" "${KMSDESK_VERSION}"
  WriteRegStr SHELL_CONTEXT "${UNINST_KEY}" "Publisher" "${COMPANY_NAME}"
  WriteRegStr SHELL_CONTEXT "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${PRODUCT_EXECUTABLE}"
  WriteRegStr SHELL_CONTEXT "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHELL_CONTEXT "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr SHELL_CONTEXT "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD SHELL_CONTEXT "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD SHELL_CONTEXT "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $R0 $R1 $R2
  IntFmt $R0 "0x%08X" $R0
  WriteRegDWORD SHELL_CONTEXT "${UNINST_KEY}" "EstimatedSize" "$R0"
!macroend
