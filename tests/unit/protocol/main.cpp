// tests/unit/protocol/main.cpp
// Entry point of the unit-protocol test executable (lib/protocol). The suites
// live in the *_test.cpp files next to it, one per source file.
#define BOOST_TEST_MODULE unit_protocol
#include <boost/test/unit_test.hpp>
