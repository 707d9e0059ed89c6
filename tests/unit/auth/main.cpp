// tests/unit/auth/main.cpp
// Entry point of the unit-auth test executable (lib/auth). The suites live
// in the *_test.cpp files next to it, one per source file.
#define BOOST_TEST_MODULE unit_auth
#include <boost/test/unit_test.hpp>
