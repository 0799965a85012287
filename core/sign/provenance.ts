/**
 * Helm provenance (`.prov`): the chart's metadata as YAML, `...`, then `files:` with the sha256 of
 * the packaged `.tgz`, PGP clearsigned (SHA-512), as `helm package --sign` writes it and
 * `helm verify` checks it. Keys come from keyring files (`gpg --export`, `gpg
 * --export-secret-keys`, binary or armored). openpgp is loaded on use.
 * @module
 */
import { parse } from "yaml";
import { firstLine, SignatureError } from "../errors.ts";
import { archiveName } from "../chart/provenance_text.ts";

/** Provenance files larger than this are refused (Helm's are a few KiB). */
export const maxProvenanceSize = 1024 * 1024;

async function openpgp() {
  return await import("openpgp");
}

/** Reads every key of a keyring file, binary (`gpg --export`) or ASCII-armored. */
async function readKeyring<K>(
  bytes: Uint8Array,
  source: string,
  read: (input: { armoredKeys: string } | { binaryKeys: Uint8Array }) => Promise<K[]>,
  secret: boolean,
): Promise<K[]> {
  const text = new TextDecoder().decode(bytes.subarray(0, 64));
  try {
    return await read(
      text.includes("-----BEGIN PGP")
        ? { armoredKeys: new TextDecoder().decode(bytes) }
        : { binaryKeys: bytes },
    );
  } catch (error) {
    throw new SignatureError(
      `${source}: not a PGP keyring (${firstLine(error)}); ` +
        `export one with "gpg --export${secret ? "-secret-keys" : ""} > FILE"`,
    );
  }
}

/**
 * Clearsigns `message` with the key in `keyring` whose user ID contains `keyName` (Helm's
 * `--key`), asking `passphrase` only when the key is protected.
 */
export async function signProvenance(
  message: string,
  keyring: Uint8Array,
  keyringName: string,
  keyName: string,
  passphrase: () => Promise<string>,
): Promise<string> {
  const pgp = await openpgp();
  const keys = await readKeyring(
    keyring,
    keyringName,
    (input) => "armoredKeys" in input ? pgp.readPrivateKeys(input) : pgp.readPrivateKeys(input),
    true,
  );
  let key = keys.find((k) => k.getUserIDs().some((id) => id.includes(keyName)));
  if (!key) throw new SignatureError(`${keyringName}: no private key for "${keyName}"`);
  if (!key.isDecrypted()) {
    try {
      key = await pgp.decryptKey({ privateKey: key, passphrase: await passphrase() });
    } catch {
      throw new SignatureError(`${keyringName}: wrong passphrase for "${keyName}"`);
    }
  }
  const signed = await pgp.sign({
    message: await pgp.createCleartextMessage({ text: message }),
    signingKeys: key,
    config: { preferredHashAlgorithm: pgp.enums.hash.sha512 },
  });
  // Helm writes LF line ends (a cleartext signature hashes lines canonically: either verifies).
  return signed.replaceAll("\r\n", "\n");
}

/** What a verified `.prov` says. */
export interface ProvenanceResult {
  /** The user ID of the key that signed. */
  signedBy: string;
  /** Its fingerprint. */
  fingerprint: string;
  /** `files:`: archive name to `sha256:<hex>`. */
  files: Record<string, string>;
  /** The signed metadata. */
  metadata: Record<string, unknown>;
}

/** Checks a `.prov`'s signature against the keys of `keyring` and reads what it signs. */
export async function verifyProvenance(
  prov: string,
  keyring: Uint8Array,
  keyringName: string,
): Promise<ProvenanceResult> {
  const pgp = await openpgp();
  const keys = await readKeyring(
    keyring,
    keyringName,
    (input) => "armoredKeys" in input ? pgp.readKeys(input) : pgp.readKeys(input),
    false,
  );
  let message;
  try {
    message = await pgp.readCleartextMessage({ cleartextMessage: prov });
  } catch {
    throw new SignatureError("the provenance file is not a PGP clearsigned message");
  }
  let signedBy = "";
  let fingerprint = "";
  try {
    const result = await pgp.verify({ message, verificationKeys: keys, expectSigned: true });
    const keyID = result.signatures[0].keyID;
    const key = keys.find((k) => k.getKeys(keyID).length > 0);
    signedBy = key?.getUserIDs()[0] ?? keyID.toHex();
    fingerprint = key?.getFingerprint().toUpperCase() ?? "";
  } catch {
    throw new SignatureError(
      `the provenance is not signed by a key in ${keyringName}, or was altered since`,
    );
  }
  const text = message.getText();
  const split = text.indexOf("\n...\n");
  if (split < 0) throw new SignatureError("the provenance has no checksums (no ... line)");
  let metadata: unknown, sums: unknown;
  try {
    metadata = parse(text.slice(0, split), { maxAliasCount: 0 });
    sums = parse(text.slice(split + 5), { maxAliasCount: 0 });
  } catch {
    throw new SignatureError("the provenance's signed text is not YAML");
  }
  const files = (sums as { files?: unknown })?.files;
  if (typeof files !== "object" || files === null) {
    throw new SignatureError("the provenance lists no files");
  }
  return {
    signedBy,
    fingerprint,
    files: files as Record<string, string>,
    metadata: (metadata ?? {}) as Record<string, unknown>,
  };
}

/**
 * Checks a `.prov` as `helm verify` does: signed by a key of `keyring`, and its checksum of
 * `NAME-VERSION.tgz` (the chart `meta` names, else the signed metadata) is `contentDigest`, the
 * chart's content layer.
 */
export async function checkProvenance(
  prov: string,
  keyring: Uint8Array,
  keyringName: string,
  contentDigest: string,
  meta?: { name: string; version: string },
): Promise<ProvenanceResult> {
  const result = await verifyProvenance(prov, keyring, keyringName);
  const signed = result.metadata as { name?: unknown; version?: unknown };
  if (!meta && (typeof signed.name !== "string" || typeof signed.version !== "string")) {
    throw new SignatureError("the provenance's metadata has no chart name and version");
  }
  const name = archiveName(meta ?? signed as { name: string; version: string });
  const sum = result.files[name];
  if (sum === undefined) {
    throw new SignatureError(
      `the provenance has no checksum of ${name} (it lists ${
        Object.keys(result.files).join(", ")
      })`,
    );
  }
  if (sum !== contentDigest) {
    throw new SignatureError(
      `the provenance's checksum of ${name} is ${sum}, not ${contentDigest}`,
    );
  }
  return result;
}
