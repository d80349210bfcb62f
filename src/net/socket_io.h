// Blocking-socket helpers shared by the HTTP server and client.
#ifndef LT_NET_SOCKET_IO_H_
#define LT_NET_SOCKET_IO_H_

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

namespace lt::net {

// SO_RCVTIMEO / SO_SNDTIMEO of `ms` milliseconds (at least 1: zero would mean "never").
inline void SetSocketTimeout(int fd, int opt, int ms) {
  timeval tv{};
  ms = std::max(ms, 1);
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

// Sends all of `data`; false when the peer is gone or the write timed out (errno says which).
inline bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace lt::net

#endif  // LT_NET_SOCKET_IO_H_
