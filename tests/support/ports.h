// Free TCP ports on 127.0.0.1 for integration tests (asks the kernel for an unused one).
#ifndef LT_TESTS_SUPPORT_PORTS_H_
#define LT_TESTS_SUPPORT_PORTS_H_

namespace lt::test {

int FreePort();

}  // namespace lt::test

#endif  // LT_TESTS_SUPPORT_PORTS_H_
