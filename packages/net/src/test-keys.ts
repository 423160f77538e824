/**
 * A self-signed certificate for localhost, 127.0.0.1 and ::1 (P-256, valid until 2126), for tests
 * only: `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
 * -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1`.
 */
export const key = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcqk/PO9/dwe+nHbG
vVAi7vESEYUhC76VOc9HasP5xYehRANCAARwiatQLCiRwiKbOzkReAOFox2pSxGj
AgA16qC+k5zYWFvzikZkxw+5MOBe7lJVlEYYjaWggp68Vk7aHRQWazvu
-----END PRIVATE KEY-----
`;

export const cert = `-----BEGIN CERTIFICATE-----
MIIBrjCCAVSgAwIBAgIUVOXDDZf4zM4wYbl4PURGkhOgq1wwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNzEzMjIwOVoYDzIxMjYxMTEz
MTMyMjA5WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARwiatQLCiRwiKbOzkReAOFox2pSxGjAgA16qC+k5zYWFvzikZkxw+5
MOBe7lJVlEYYjaWggp68Vk7aHRQWazvuo4GBMH8wHQYDVR0OBBYEFAf4TZ6mBXkH
ysplWdZ9sOae7a0YMB8GA1UdIwQYMBaAFAf4TZ6mBXkHysplWdZ9sOae7a0YMA8G
A1UdEwEB/wQFMAMBAf8wLAYDVR0RBCUwI4IJbG9jYWxob3N0hwR/AAABhxAAAAAA
AAAAAAAAAAAAAAABMAoGCCqGSM49BAMCA0gAMEUCIDSIFaLDvTSANT+sHh+q2Fje
PaJZut0R+4zpSHdPmXlsAiEA4F8Y88wjZ+s1iJAxr79aQ00S8/MUvPFFBb48bgjd
kzw=
-----END CERTIFICATE-----
`;
