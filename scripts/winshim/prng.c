/*
 * bcryptprimitives.dll for Wine 8 (test shim, never shipped).
 *
 * Go 1.22 and later get their random numbers from ProcessPrng in bcryptprimitives.dll,
 * which Wine 8.0 (Debian 12) does not have: every Go Windows binary then stops at start
 * with "fatal error: bcryptprimitives.dll not found". scripts/test-windows.sh builds this
 * file with mingw-w64 and copies it into the throw-away prefix's system32. ProcessPrng
 * fills the buffer from RtlGenRandom (advapi32 SystemFunction036), the CSPRNG Wine has.
 * Real Windows (10 and later) has its own bcryptprimitives.dll; nothing here ships.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a ULONG length: fill large buffers in chunks. */
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)inst;
    (void)reason;
    (void)reserved;
    return TRUE;
}
