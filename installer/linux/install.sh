#!/usr/bin/env sh
# Install a built dist/mic-desktop/ for the current user: ~/.local/opt, a launcher and its icon.
set -eu
SRC="${1:-$(dirname "$0")}"
DEST="${HOME}/.local/opt/mic-desktop"
mkdir -p "${HOME}/.local/opt" "${HOME}/.local/bin" "${HOME}/.local/share/applications" \
         "${HOME}/.local/share/icons/hicolor/256x256/apps"
rm -rf "${DEST}"
cp -a "${SRC}" "${DEST}"
ln -sf "${DEST}/mic-desktop" "${HOME}/.local/bin/mic-desktop"
cp "${DEST}/mic-desktop.png" "${HOME}/.local/share/icons/hicolor/256x256/apps/mic-desktop.png"
sed "s|^Exec=.*|Exec=${DEST}/mic-desktop|" "${DEST}/mic-desktop.desktop" \
    > "${HOME}/.local/share/applications/mic-desktop.desktop"
echo "MIC Desktop installed in ${DEST}"
