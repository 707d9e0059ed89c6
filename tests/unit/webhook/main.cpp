// tests/unit/webhook/main.cpp
// Entry point of the unit-webhook test executable (lib/webhook). The suites
// live in the *_test.cpp files next to it, one per source file.
#define BOOST_TEST_MODULE unit_webhook
#include <boost/test/unit_test.hpp>
