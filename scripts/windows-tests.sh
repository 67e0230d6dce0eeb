#!/usr/bin/env bash
# The Windows build of the library, checked and tested on Linux: clippy for the
# x86_64-pc-windows-gnu target, then the unit and integration tests cross-compiled with MinGW and
# run under Wine. This is what runs the Windows-only code (`job_queue.rs`'s idle loop yields
# instead of sleeping there). Needs rustup and Debian packages; installs what is missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-pc-windows-gnu
if ! rustup target list --installed | grep -qx "$target"; then
  if ! timeout 300 rustup target add "$target"; then
    echo "skipped: the $target standard library could not be installed (rustup target add $target)"
    exit 0
  fi
fi
if ! command -v x86_64-w64-mingw32-gcc >/dev/null || ! command -v wine >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-mingw-w64-x86-64-posix wine64 >/dev/null
fi

cargo clippy -p traits-core -p traits-futures --all-targets --target "$target" -- -D warnings

# A Wine prefix of our own, so that nothing depends on the user's.
export WINEPREFIX="$PWD/target/wine" WINEDEBUG=-all
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  wineboot --init >/dev/null 2>&1 || true
fi
# Rust's standard library draws random numbers (for HashMap seeds) from
# bcryptprimitives.dll's ProcessPrng, which Wine gained only in version 9; give older Wines a
# stand-in that forwards to RtlGenRandom (a Wine that has its own loads its built-in first).
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ]; then
  shim=$(mktemp -d)
  cat > "$shim/bcryptprimitives.c" <<'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
C
  x86_64-w64-mingw32-gcc -shared -O2 -o "$dll" "$shim/bcryptprimitives.c" -ladvapi32
  rm -rf "$shim"
fi

export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
cargo test -p traits-core -p traits-futures --release --target "$target" --lib --tests
