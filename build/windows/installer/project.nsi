; KMS Desk Windows installer (NSIS 3.08+).
;
; Built by scripts/package.sh, which runs (from this directory):
;   makensis -DARG_WAILS_AMD64_BINARY=<signed kmsdesk.exe> -DKMSDESK_VERSION=<git describe>
;            -DKMSDESK_WIN_VERSION=<a.b.c.d> -DKMSDESK_OUTFILE=<dist/…-installer.exe>
;            -DKMSDESK_KMSCTL_BINARY=<signed kmsctl.exe>
;            [-DKMSDESK_SIGN_UNINSTALLER=<scripts/sign-windows.sh>] project.nsi
; `wails build -platform windows/amd64 -nsis` also compiles this file (it passes only
; ARG_WAILS_AMD64_BINARY; the other values then have defaults).
;
; Adapted from the project.nsi that Wails v2.9.2 generates, with these changes:
;  * Per-user install by default, no administrator rights needed: RequestExecutionLevel
;    user, $LOCALAPPDATA\Programs\KMS Desk, registry under HKCU. Wails' default is
;    "admin" and $PROGRAMFILES64. An all-users install into $PROGRAMFILES64 (HKLM) is
;    available with /ALLUSERS from an elevated prompt.
;  * Explorer context-menu verbs "Encrypt with KMS Desk" (files, folders) and "Decrypt
;    with KMS Desk" (.kmsenc), per user, removed by the uninstaller (kmsdesk.nsh).
;  * The .kmsenc association is written by kmsdesk.nsh with a quoted command line
;    ("C:\…\kmsdesk.exe" "%1"); the generated wails_tools.nsh leaves the program path
;    unquoted, which breaks on, and is unsafe with, paths that contain spaces.
;  * The WebView2 check also finds per-user runtimes (the key Wails reads for HKCU lacks
;    a backslash), and a failed WebView2 setup is reported instead of ignored.
;  * The uninstaller removes only files it installed (Wails' template runs
;    RMDir /r $INSTDIR, which would delete anything a user put there) and keeps the
;    user's KMS Desk data (%APPDATA%\kmsdesk: profiles, local KMS keys).
;  * LZMA compression, a Start-menu entry and no desktop shortcut, an optionally signed
;    uninstaller (!uninstfinalize), version resources from the git version.
;  * The license (Apache-2.0) is shown before installing and named in the version
;    resource; LICENSE.txt and THIRD_PARTY_NOTICES.txt are installed beside the app.
;  * kmsctl.exe is installed beside kmsdesk.exe; an optional component (off by default,
;    /ADDTOPATH) puts the folder on the PATH (kmsctl.nsh).
;  * A 64-bit installer (Target amd64-unicode; Wails' is 32-bit): the app it installs is
;    amd64 only, and the whole of it then runs where 64-bit Windows programs do.
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "WinVer.nsh"
!include "x64.nsh"
!include "Sections.nsh"
!include "StrFunc.nsh"
!include "WinMessages.nsh"

!ifndef ARG_WAILS_AMD64_BINARY
  !error "pass -DARG_WAILS_AMD64_BINARY=path\to\kmsdesk.exe (scripts/package.sh does)"
!endif
!ifdef ARG_WAILS_ARM64_BINARY
  !error "KMS Desk ships an amd64 installer only"
!endif
!ifndef KMSDESK_VERSION
  !define KMSDESK_VERSION "0.0.0-dev"
!endif
!ifndef KMSDESK_WIN_VERSION
  !define KMSDESK_WIN_VERSION "0.0.0.0"
!endif
!ifndef KMSDESK_OUTFILE
  !define KMSDESK_OUTFILE "..\..\bin\kmsdesk-amd64-installer.exe"
!endif
!ifndef KMSDESK_WEBVIEW2_BOOTSTRAPPER
  ; written here by scripts/package.sh (and by `wails build -nsis`)
  !define KMSDESK_WEBVIEW2_BOOTSTRAPPER "tmp\MicrosoftEdgeWebview2Setup.exe"
!endif

!define PRODUCT_NAME "KMS Desk"
!define COMPANY_NAME "KMS Desk"
!define PRODUCT_EXECUTABLE "kmsdesk.exe"
!define PRODUCT_DIRNAME "KMS Desk"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\KMSDesk"

!include "kmsdesk.nsh"
!ifdef KMSDESK_KMSCTL_BINARY
  !include "kmsctl.nsh"
!endif

!ifdef KMSDESK_SIGN_UNINSTALLER
  ; Sign the uninstaller before it is embedded; %1 is its path. Non-zero exit = error.
  !uninstfinalize '"${KMSDESK_SIGN_UNINSTALLER}" "%1"' = 0
!endif

Name "${PRODUCT_NAME}"
OutFile "${KMSDESK_OUTFILE}"
BrandingText "${PRODUCT_NAME} ${KMSDESK_VERSION}"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${KMSDESK_WIN_VERSION}"
VIFileVersion "${KMSDESK_WIN_VERSION}"
VIAddVersionKey /LANG=0 "CompanyName" "${COMPANY_NAME}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT_NAME} Installer"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT_NAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${KMSDESK_VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${KMSDESK_WIN_VERSION}"
VIAddVersionKey /LANG=0 "LegalCopyright" "Copyright (c) 2026 KMS Desk developers. Licensed under the Apache License 2.0."
VIAddVersionKey /LANG=0 "License" "Apache-2.0"
VIAddVersionKey /LANG=0 "Comments" "License: Apache-2.0 (LICENSE.txt). Third-party notices: THIRD_PARTY_NOTICES.txt."

!define MUI_ICON "..\icon.ico"
!define MUI_UNICON "..\icon.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_NOAUTOCLOSE
!define MUI_FINISHPAGE_RUN
!define MUI_FINISHPAGE_RUN_FUNCTION LaunchApp

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "..\..\..\LICENSE"
!insertmacro MUI_PAGE_DIRECTORY
!ifdef KMSDESK_KMSCTL_BINARY
  !insertmacro MUI_PAGE_COMPONENTS
!endif
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

LangString KMSDESK_NEEDS_WIN10 ${LANG_ENGLISH} "KMS Desk needs Windows 10 or later."
LangString KMSDESK_NEEDS_WIN10 ${LANG_SIMPCHINESE} "KMS Desk 需要 Windows 10 或更高版本。"
LangString KMSDESK_NEEDS_X64 ${LANG_ENGLISH} "KMS Desk needs 64-bit Windows (x64, or Windows 11 on Arm)."
LangString KMSDESK_NEEDS_X64 ${LANG_SIMPCHINESE} "KMS Desk 需要 64 位 Windows（x64，或 Arm 上的 Windows 11）。"
LangString KMSDESK_NEEDS_ADMIN ${LANG_ENGLISH} "/ALLUSERS installs KMS Desk for all users and needs administrator rights. Run the installer from an elevated prompt, or without /ALLUSERS to install it for yourself only."
LangString KMSDESK_NEEDS_ADMIN ${LANG_SIMPCHINESE} "/ALLUSERS 为所有用户安装 KMS Desk，需要管理员权限。请在管理员命令提示符中运行安装程序，或去掉 /ALLUSERS 仅为当前用户安装。"
LangString KMSDESK_UN_NEEDS_ADMIN ${LANG_ENGLISH} "KMS Desk was installed for all users. Run this uninstaller as administrator (right-click > Run as administrator)."
LangString KMSDESK_UN_NEEDS_ADMIN ${LANG_SIMPCHINESE} "KMS Desk 是为所有用户安装的。请以管理员身份运行此卸载程序（右键 > 以管理员身份运行）。"
LangString KMSDESK_WEBVIEW2_INSTALLING ${LANG_ENGLISH} "Installing the Microsoft Edge WebView2 Runtime"
LangString KMSDESK_WEBVIEW2_INSTALLING ${LANG_SIMPCHINESE} "正在安装 Microsoft Edge WebView2 运行时"
LangString KMSDESK_WEBVIEW2_FAILED ${LANG_ENGLISH} "The Microsoft Edge WebView2 Runtime could not be installed (its setup needs internet access). KMS Desk needs it: install it from https://go.microsoft.com/fwlink/p/?LinkId=2124703 and start KMS Desk again."
LangString KMSDESK_WEBVIEW2_FAILED ${LANG_SIMPCHINESE} "无法安装 Microsoft Edge WebView2 运行时（安装需要联网）。KMS Desk 需要它：请从 https://go.microsoft.com/fwlink/p/?LinkId=2124703 安装后重新启动 KMS Desk。"
LangString KMSDESK_FILE_TYPE ${LANG_ENGLISH} "KMS Desk encrypted file"
LangString KMSDESK_FILE_TYPE ${LANG_SIMPCHINESE} "KMS Desk 加密文件"
LangString KMSDESK_OPEN_VERB ${LANG_ENGLISH} "Open with KMS Desk"
LangString KMSDESK_OPEN_VERB ${LANG_SIMPCHINESE} "用 KMS Desk 打开"
LangString KMSDESK_ENCRYPT_VERB ${LANG_ENGLISH} "Encrypt with KMS Desk"
LangString KMSDESK_ENCRYPT_VERB ${LANG_SIMPCHINESE} "用 KMS Desk 加密"
LangString KMSDESK_DECRYPT_VERB ${LANG_ENGLISH} "Decrypt with KMS Desk"
LangString KMSDESK_DECRYPT_VERB ${LANG_SIMPCHINESE} "用 KMS Desk 解密"
LangString KMSDESK_PATH_SECTION ${LANG_ENGLISH} "Add kmsctl (the command-line tool) to the PATH"
LangString KMSDESK_PATH_SECTION ${LANG_SIMPCHINESE} "将 kmsctl（命令行工具）添加到 PATH"
LangString KMSDESK_PATH_ADDED ${LANG_ENGLISH} "Added $INSTDIR to the PATH (new command windows find kmsctl)"
LangString KMSDESK_PATH_ADDED ${LANG_SIMPCHINESE} "已将 $INSTDIR 添加到 PATH（新打开的命令窗口可找到 kmsctl）"
LangString KMSDESK_PATH_TOO_LONG ${LANG_ENGLISH} "The PATH is too long to change safely and was left as it is: add $INSTDIR to it by hand to run kmsctl from any folder."
LangString KMSDESK_PATH_TOO_LONG ${LANG_SIMPCHINESE} "PATH 过长，无法安全修改，已保持原样：如需在任意目录运行 kmsctl，请手动将 $INSTDIR 添加到 PATH。"
LangString KMSDESK_PATH_LEFT ${LANG_ENGLISH} "The PATH is too long to change safely: remove $INSTDIR from it by hand."
LangString KMSDESK_PATH_LEFT ${LANG_SIMPCHINESE} "PATH 过长，无法安全修改：请手动从中删除 $INSTDIR。"

Function .onInit
  !insertmacro KMSDESK_CHECK_PLATFORM
  !insertmacro KMSDESK_INIT_SCOPE
FunctionEnd

Function un.onInit
  !insertmacro KMSDESK_UN_INIT_SCOPE
FunctionEnd

; Starts the app through Explorer, so it never inherits an elevated installer's token.
Function LaunchApp
  Exec '"$WINDIR\explorer.exe" "$INSTDIR\${PRODUCT_EXECUTABLE}"'
FunctionEnd

Section "-Install"
  !insertmacro KMSDESK_WEBVIEW2

  SetOutPath "$INSTDIR"
  File "/oname=${PRODUCT_EXECUTABLE}" "${ARG_WAILS_AMD64_BINARY}"
  File "/oname=LICENSE.txt" "..\..\..\LICENSE"
  File "/oname=THIRD_PARTY_NOTICES.txt" "..\..\..\THIRD_PARTY_NOTICES.txt"
  !ifdef KMSDESK_KMSCTL_BINARY
    File "/oname=kmsctl.exe" "${KMSDESK_KMSCTL_BINARY}"
  !endif
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${PRODUCT_NAME}.lnk" "$INSTDIR\${PRODUCT_EXECUTABLE}" "" "$INSTDIR\${PRODUCT_EXECUTABLE}" 0

  !insertmacro KMSDESK_ASSOCIATE
  !insertmacro KMSDESK_CONTEXT_MENU
  !insertmacro KMSDESK_WRITE_UNINSTALL_KEY
SectionEnd

!ifdef KMSDESK_KMSCTL_BINARY
  !insertmacro KMSDESK_KMSCTL_SECTIONS
!endif

Section "Uninstall"
  Delete "$SMPROGRAMS\${PRODUCT_NAME}.lnk"
  !insertmacro KMSDESK_REMOVE_CONTEXT_MENU
  !insertmacro KMSDESK_UNASSOCIATE

  !ifdef KMSDESK_KMSCTL_BINARY
    !insertmacro KMSDESK_PATH_REMOVE
  !endif
  Delete "$INSTDIR\kmsctl.exe"
  Delete "$INSTDIR\LICENSE.txt"
  Delete "$INSTDIR\THIRD_PARTY_NOTICES.txt"
  Delete "$INSTDIR\${PRODUCT_EXECUTABLE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  ${If} $KmsdeskAllUsers == 0
    RMDir "$LOCALAPPDATA\Programs" ; only when empty: this install may have made it
  ${EndIf}
  DeleteRegKey SHELL_CONTEXT "${UNINST_KEY}"

  ; The WebView2 cache of the current user (Wails' default data folder). The KMS Desk
  ; data in %APPDATA%\kmsdesk (profiles, the local KMS and its keys) is kept on purpose:
  ; deleting it would make files encrypted with local keys undecryptable.
  SetShellVarContext current
  RMDir /r "$APPDATA\${PRODUCT_EXECUTABLE}"
SectionEnd
