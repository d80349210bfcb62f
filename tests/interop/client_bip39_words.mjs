// Prints the BIP-39 English wordlist (2048 lines) from the ethers package, for
// `lt client serve --bip39-wordlist FILE` (doc/client.md "Secret guard"). The binary accepts the
// file only if its SHA-256 is the official list's.
// Usage: node client_bip39_words.mjs > english.txt
import { LangEn } from 'ethers';

const list = LangEn.wordlist();
const words = [];
for (let i = 0; i < 2048; i++) words.push(list.getWord(i));
process.stdout.write(words.join('\n') + '\n');
