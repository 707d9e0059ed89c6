// tests/unit/http/main.cpp
// Entry point of the unit-http test executable (lib/http). The suites live in
// the *_test.cpp files next to it, one per source file.
#define BOOST_TEST_MODULE unit_http
#include <boost/test/unit_test.hpp>
