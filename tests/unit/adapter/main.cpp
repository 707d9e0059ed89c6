// tests/unit/adapter/main.cpp
// Entry point of the unit-adapter test executable (lib/cluster: the Redis
// adapter wire format). The suites live in the *_test.cpp files next to it.
#define BOOST_TEST_MODULE unit_adapter
#include <boost/test/unit_test.hpp>
