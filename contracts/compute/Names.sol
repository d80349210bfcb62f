// SPDX-License-Identifier: MIT
// Model names, tags and endpoints, validated exactly as src/ledger/names.cc does (DESIGN §4):
//   name:     parts separated by '/', at least two, at most 255 characters in all, each part
//             [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
//   tag:      [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
//   endpoint: 1 to 256 printable ASCII characters without spaces
pragma solidity ^0.8.24;

library Names {
    function _lowerAlnum(bytes1 c) private pure returns (bool) {
        return (c >= "a" && c <= "z") || (c >= "0" && c <= "9");
    }

    function validModelName(bytes calldata n) internal pure returns (bool) {
        uint256 len = n.length;
        if (len == 0 || len > 255) return false;
        uint256 parts = 1;
        uint256 i = 0;
        while (true) {
            if (i >= len || !_lowerAlnum(n[i])) return false; // a part starts with [a-z0-9]
            while (i < len && _lowerAlnum(n[i])) ++i;
            if (i == len) break;
            bytes1 c = n[i];
            if (c == "/") {
                ++parts;
                ++i;
                continue;
            }
            if (c == ".") {
                ++i;
            } else if (c == "_") {
                ++i;
                if (i < len && n[i] == "_") ++i;
            } else if (c == "-") {
                while (i < len && n[i] == "-") ++i;
            } else {
                return false;
            }
            if (i == len || !_lowerAlnum(n[i])) return false; // a separator is followed by [a-z0-9]
        }
        return parts >= 2;
    }

    // The first part of a valid name.
    function namespaceOf(bytes calldata n) internal pure returns (bytes calldata) {
        for (uint256 i = 0; i < n.length; ++i) {
            if (n[i] == "/") return n[:i];
        }
        return n;
    }

    function validTag(bytes calldata t) internal pure returns (bool) {
        uint256 len = t.length;
        if (len == 0 || len > 128) return false;
        for (uint256 i = 0; i < len; ++i) {
            bytes1 c = t[i];
            bool word = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_";
            if (!word && (i == 0 || (c != "." && c != "-"))) return false;
        }
        return true;
    }

    function validEndpoint(bytes calldata e) internal pure returns (bool) {
        uint256 len = e.length;
        if (len == 0 || len > 256) return false;
        for (uint256 i = 0; i < len; ++i) {
            if (e[i] <= 0x20 || e[i] > 0x7e) return false;
        }
        return true;
    }
}
