// tests/unit/routing/main.cpp
// Entry point of the unit-routing test executable (lib/routing). The suites
// live in the *_test.cpp files next to it, one per source file.
#define BOOST_TEST_MODULE unit_routing
#include <boost/test/unit_test.hpp>
