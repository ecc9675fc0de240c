; Inno Setup script for MIC Desktop (Windows).
; Build on Windows, after `python installer\build.py` produced dist\mic-desktop\:
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" installer\windows\mic-desktop.iss
; Result: dist\MIC-Desktop-Setup-<version>.exe

#define AppName "MIC Desktop"
#define AppVersion "0.1.0"
#define AppExe "mic-desktop.exe"

[Setup]
AppId={{6F4B8E2A-3C1D-4E5F-9A7B-2D8C0E1F3A5B}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=MIC Desktop
DefaultDirName={autopf}\MIC Desktop
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
OutputDir=..\..\dist
OutputBaseFilename=MIC-Desktop-Setup-{#AppVersion}
SetupIconFile=..\..\build\icons\mic-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "..\..\dist\mic-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Workstation doctor"; Filename: "{cmd}"; Parameters: "/k ""{app}\mic-desktop-cli.exe"" doctor"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
; The user's settings, keyring entries and embedded databases are kept on uninstall.
