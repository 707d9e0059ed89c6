// tests/unit/cluster/main.cpp
// Entry point of the unit-cluster test executable (lib/cluster). The suites
// live in the *_test.cpp files next to it, one per source file.
#define BOOST_TEST_MODULE unit_cluster
#include <boost/test/unit_test.hpp>
