// The start of every python imaplib script in these tests: imports, an unverified TLS
// context for the test certificate, argv (port, password), `out` for the JSON answer
// and ok() that asserts a tagged OK.
export const IMAPLIB_PRELUDE = `
import imaplib, ssl, sys, json, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
port = int(sys.argv[1]); pw = sys.argv[2]
out = {}
def ok(r):
    assert r[0] == 'OK', r
    return r[1]
`;
