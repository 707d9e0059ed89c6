#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

#include "lib/metrics/metrics.hpp"

#include <thread>
#include <vector>

using namespace sio::metrics;

BOOST_AUTO_TEST_SUITE(metrics_test)

BOOST_AUTO_TEST_CASE(render_prints_help_type_and_series_with_escaped_labels) {
  registry r;
  r.get_counter("sio_events_total", "Client events.", {{"hub", "chat"}}).inc(3);
  r.get_gauge("sio_connections", "Open connections.",
              {{"transport", "websocket"}})
    .add(2);
  r.get_gauge("sio_connections", "Open connections.", {{"transport", "polling"}})
    .add(1);
  r.get_counter("sio_odd", "Odd labels.", {{"v", "a\"b\\c\nd"}}).inc();
  auto text = r.render();
  BOOST_CHECK(text.find("# HELP sio_events_total Client events.\n"
                        "# TYPE sio_events_total counter\n"
                        "sio_events_total{hub=\"chat\"} 3\n")
              != std::string::npos);
  BOOST_CHECK(text.find("sio_connections{transport=\"polling\"} 1\n"
                        "sio_connections{transport=\"websocket\"} 2\n")
              != std::string::npos);
  BOOST_CHECK(text.find(R"(sio_odd{v="a\"b\\c\nd"} 1)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(same_name_and_labels_is_the_same_series) {
  registry r;
  auto& a = r.get_counter("c", "h", {{"x", "1"}});
  auto& b = r.get_counter("c", "h", {{"x", "1"}});
  auto& c = r.get_counter("c", "h", {{"x", "2"}});
  BOOST_CHECK_EQUAL(&a, &b);
  BOOST_CHECK_NE(&a, &c);
}

BOOST_AUTO_TEST_CASE(histogram_buckets_are_cumulative_with_sum_and_count) {
  registry r;
  auto& h = r.get_histogram("lat", "Latency.", {{"hub", "h"}});
  h.observe(0.0005);
  h.observe(0.02);
  h.observe(100);
  BOOST_CHECK_EQUAL(h.bucket(0), 1u);  // <= 1 ms
  BOOST_CHECK_EQUAL(h.bucket(4), 2u);  // <= 25 ms
  BOOST_CHECK_EQUAL(h.bucket(histogram::bounds.size()), 3u); // +Inf
  BOOST_CHECK_EQUAL(h.count(), 3u);
  BOOST_CHECK_CLOSE(h.sum(), 100.0205, 0.001);
  auto text = r.render();
  BOOST_CHECK(text.find("lat_bucket{hub=\"h\",le=\"0.001\"} 1\n") != std::string::npos);
  BOOST_CHECK(text.find("lat_bucket{hub=\"h\",le=\"+Inf\"} 3\n") != std::string::npos);
  BOOST_CHECK(text.find("lat_count{hub=\"h\"} 3\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(concurrent_updates_are_not_lost) {
  registry r;
  auto& c = r.get_counter("n", "h");
  auto& g = r.get_gauge("g", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        g.add();
        g.sub();
      }
    });
  for (auto& t : threads)
    t.join();
  BOOST_CHECK_EQUAL(c.value(), 40000u);
  BOOST_CHECK_EQUAL(g.value(), 0);
}

BOOST_AUTO_TEST_CASE(values_past_the_limit_share_the_other_series) {
  registry r{2};
  auto& a = r.get_counter("closed", "h", {{"hub", "x"}, {"reason", "a"}});
  auto& b = r.get_counter("closed", "h", {{"hub", "x"}, {"reason", "b"}});
  auto& c = r.get_counter("closed", "h", {{"hub", "x"}, {"reason", "c"}});
  auto& d = r.get_counter("closed", "h", {{"hub", "x"}, {"reason", "d"}});
  BOOST_CHECK_NE(&a, &b);
  BOOST_CHECK_EQUAL(&c, &d);
  BOOST_CHECK_EQUAL(&c, &r.get_counter("closed", "h",
                                       {{"hub", "x"}, {"reason", "other"}}));
  // A value admitted before the limit was reached keeps its own series.
  BOOST_CHECK_EQUAL(&a, &r.get_counter("closed", "h",
                                       {{"hub", "x"}, {"reason", "a"}}));
  c.inc();
  d.inc(2);
  auto text = r.render();
  BOOST_CHECK(text.find("closed{hub=\"x\",reason=\"other\"} 3\n")
              != std::string::npos);
  BOOST_CHECK(text.find("reason=\"c\"") == std::string::npos);
  // The limit is per family: another family starts with none used.
  r.get_counter("other_family", "h", {{"reason", "c"}}).inc();
  BOOST_CHECK(r.render().find("other_family{reason=\"c\"} 1\n")
              != std::string::npos);
}

BOOST_AUTO_TEST_CASE(adjusted_gauge_series_go_at_zero_and_free_their_place) {
  registry r{2};
  auto sockets = [&](const char* nsp, int64_t delta) {
    r.adjust_gauge("sockets", "h", {{"namespace", nsp}}, delta);
  };
  sockets("/a", 1);
  sockets("/b", 2);
  sockets("/c", 1);  // past the limit
  sockets("/d", 4);  // past the limit
  auto text = r.render();
  BOOST_CHECK(text.find("sockets{namespace=\"/a\"} 1\n") != std::string::npos);
  BOOST_CHECK(text.find("sockets{namespace=\"/b\"} 2\n") != std::string::npos);
  BOOST_CHECK(text.find("sockets{namespace=\"other\"} 5\n")
              != std::string::npos);
  sockets("/a", -1);
  text = r.render();
  BOOST_CHECK(text.find("namespace=\"/a\"") == std::string::npos);
  // /c was counted under other: its decrement goes there too, even though
  // a place is free now.
  sockets("/c", -1);
  text = r.render();
  BOOST_CHECK(text.find("sockets{namespace=\"other\"} 4\n") != std::string::npos);
  BOOST_CHECK(text.find("namespace=\"/c\"") == std::string::npos);
  // The free place goes to the next new value.
  sockets("/e", 1);
  BOOST_CHECK(r.render().find("sockets{namespace=\"/e\"} 1\n")
              != std::string::npos);
  sockets("/d", -4);
  sockets("/b", -2);
  sockets("/e", -1);
  text = r.render();
  BOOST_CHECK(text.find("sockets{") == std::string::npos);
  BOOST_CHECK(text.find("# TYPE sockets gauge\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(many_values_leave_a_bounded_rendering) {
  registry r{10};
  for (int i = 0; i < 5000; ++i) {
    auto nsp = "/n" + std::to_string(i);
    r.adjust_gauge("sockets", "h", {{"hub", "h"}, {"namespace", nsp}}, 1);
    r.get_counter("closed", "h", {{"hub", "h"}, {"reason", nsp}}).inc();
  }
  auto text = r.render();
  BOOST_CHECK(text.find("sockets{hub=\"h\",namespace=\"other\"} 4990\n")
              != std::string::npos);
  BOOST_CHECK(text.find("closed{hub=\"h\",reason=\"other\"} 4990\n")
              != std::string::npos);
  BOOST_CHECK_LT(text.size(), 2000u);
  for (int i = 0; i < 5000; ++i)
    r.adjust_gauge("sockets", "h",
                   {{"hub", "h"}, {"namespace", "/n" + std::to_string(i)}}, -1);
  BOOST_CHECK(r.render().find("sockets{") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
