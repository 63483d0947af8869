#!/bin/sh
# Refreshes the MIME, desktop-file and icon caches after the kmsdesk RPM was installed or
# removed, for distributions whose packages provide no RPM file triggers for them.
# Every step is optional and never fails the transaction.
if command -v update-mime-database >/dev/null 2>&1; then
  update-mime-database /usr/share/mime >/dev/null 2>&1 || :
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q /usr/share/applications >/dev/null 2>&1 || :
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
  touch --no-create /usr/share/icons/hicolor >/dev/null 2>&1 || :
  gtk-update-icon-cache -q -t /usr/share/icons/hicolor >/dev/null 2>&1 || :
fi
exit 0
