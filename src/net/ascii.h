// ASCII helpers shared by the HTTP server and client (header names are case-insensitive).
#ifndef LT_NET_ASCII_H_
#define LT_NET_ASCII_H_

#include <algorithm>
#include <cctype>
#include <string_view>

namespace lt::net {

inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace lt::net

#endif  // LT_NET_ASCII_H_
