; RTSTT Windows installer (NSIS 3, Modern UI 2): a per-user install that needs no admin rights.
;
;   makensis /DVERSION=0.1.0 /DDIST=..\dist\RTSTT /DOUTFILE=..\dist\RTSTT-0.1.0-setup.exe installer\rtstt.nsi
;
; - installs the PyInstaller one-folder build into %LOCALAPPDATA%\Programs\RTSTT
; - Start-menu shortcut, optional desktop shortcut, a licence page
; - registers an uninstaller under HKCU so it shows in Settings > Apps (Apps & features)
; - upgrading in place replaces the program files only: settings, sessions and downloaded models live in
;   the user's data folder (%LOCALAPPDATA%\rtstt) and are kept; the uninstaller keeps them too unless asked
; This is the CPU build (faster-whisper int8 on the CPU, CUDA used automatically when the CUDA runtime is
; present); see README "Windows build" for the CUDA variant.

Unicode true
!include "MUI2.nsh"
!include "FileFunc.nsh"

!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!ifndef DIST
  !define DIST "..\dist\RTSTT"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\dist\RTSTT-${VERSION}-setup.exe"
!endif

!define APPNAME "RTSTT"
!define PUBLISHER "RTSTT developers"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APPNAME}"
!define DATADIR "$LOCALAPPDATA\rtstt"

Name "${APPNAME} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APPNAME}"
InstallDirRegKey HKCU "Software\${APPNAME}" "InstallDir"
RequestExecutionLevel user
!ifdef FAST
  SetCompress off  ; a quick compile check (CI on Linux); release builds compress
!else
  SetCompressor /SOLID lzma
!endif
BrandingText "${APPNAME} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APPNAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APPNAME} installer"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "MIT licence"

!define MUI_ICON "..\resources\icons\rtstt.ico"
!define MUI_UNICON "..\resources\icons\rtstt.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\RTSTT.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start RTSTT"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "..\LICENSE"
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Section "RTSTT (required)" SecApp
  SectionIn RO
  ; Upgrade in place: drop the previous program files so no stale library lingers. User data is elsewhere.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\RTSTT.exe"
  Delete "$INSTDIR\rtstt-cli.exe"
  SetOutPath "$INSTDIR"
  File /r "${DIST}\*.*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${APPNAME}"
  CreateShortcut "$SMPROGRAMS\${APPNAME}\${APPNAME}.lnk" "$INSTDIR\RTSTT.exe" "" "$INSTDIR\RTSTT.exe" 0
  CreateShortcut "$SMPROGRAMS\${APPNAME}\Uninstall ${APPNAME}.lnk" "$INSTDIR\Uninstall.exe"

  WriteRegStr HKCU "Software\${APPNAME}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\RTSTT.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" "$0"
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  CreateShortcut "$DESKTOP\${APPNAME}.lnk" "$INSTDIR\RTSTT.exe" "" "$INSTDIR\RTSTT.exe" 0
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SecApp} "The RTSTT app with the offline English model (Whisper tiny.en)."
  !insertmacro MUI_DESCRIPTION_TEXT ${SecDesktop} "A shortcut on the desktop."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Section "un.RTSTT" UnSecApp
  SectionIn RO
  Delete "$DESKTOP\${APPNAME}.lnk"
  RMDir /r "$SMPROGRAMS\${APPNAME}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\RTSTT.exe"
  Delete "$INSTDIR\rtstt-cli.exe"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTKEY}"
  DeleteRegKey HKCU "Software\${APPNAME}"
SectionEnd

Section /o "un.Also remove my settings, sessions, downloaded models and components" UnSecData
  RMDir /r "${DATADIR}"
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecApp} "The program files and shortcuts."
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecData} "Your transcripts, settings, models and optional components in ${DATADIR}. Kept unless you tick this."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END
