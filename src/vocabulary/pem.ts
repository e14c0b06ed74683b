const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks of a text, in order (a chain: the server's first); none when it holds no certificate. */
export const pemCertificates = (text: string): string[] => text.match(PEM_CERTIFICATE) ?? [];
