// ethers v6 as an independent peer for keystore_test.cc. Every mode prints one JSON line.
//   decrypt FILE PASSWORD          -> {address, addressSync, privateKey}  (async and sync decryption)
//   encrypt OUTFILE PASSWORD N R P -> {address}                          (random wallet, scrypt N/r/p)
//   sign FILE PASSWORD MESSAGE     -> {address, signature}               (personal_sign)
//   verify MESSAGE SIGNATURE       -> {address}                          (verifyMessage)
import { readFileSync, writeFileSync } from "node:fs";
import { Wallet, encryptKeystoreJson, verifyMessage } from "ethers";

const [mode, ...args] = process.argv.slice(2);

async function main() {
  switch (mode) {
    case "decrypt": {
      const [file, password] = args;
      const json = readFileSync(file, "utf8");
      const w = await Wallet.fromEncryptedJson(json, password);
      const ws = Wallet.fromEncryptedJsonSync(json, password);
      return { address: w.address, addressSync: ws.address, privateKey: w.privateKey };
    }
    case "encrypt": {
      const [file, password, n, r, p] = args;
      const w = Wallet.createRandom();
      const json = await encryptKeystoreJson(w, password, {
        scrypt: { N: Number(n), r: Number(r), p: Number(p) },
      });
      writeFileSync(file, json, { mode: 0o600 });
      return { address: w.address };
    }
    case "sign": {
      const [file, password, message] = args;
      const w = Wallet.fromEncryptedJsonSync(readFileSync(file, "utf8"), password);
      return { address: w.address, signature: await w.signMessage(message) };
    }
    case "verify": {
      const [message, signature] = args;
      return { address: verifyMessage(message, signature) };
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.error(`keystore.mjs: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
