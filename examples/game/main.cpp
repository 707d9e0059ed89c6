// examples/game: a multiplayer game backend on the public API. Players
// connect with auth {token, name}, join the "arena", move with acks, and get
// the whole arena's state 5 times a second; GET /scores serves the board.
//   sio-game [port]        (0 = any free port; default 8091)
#include <sio/sio.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <mutex>

struct player { std::string name; int x = 0, y = 0, moves = 0; };

/// The scores as JSON, written by the game's actor, read by the route.
struct scoreboard { std::mutex m; std::string json = "[]"; };

/// Middleware: lets in only clients whose auth carries the right token.
class auth_stage : public sio::stage {
public:
  explicit auth_stage(std::string token) : token_(std::move(token)) {}
  std::optional<sio::connect_verdict> on_connect(sio::connect_event& ev) override {
    rapidjson::Document auth;
    auth.Parse(ev.auth.c_str());
    if (auth.IsObject() && auth.HasMember("token") && auth["token"] == token_.c_str())
      return std::nullopt; // on to the game
    return sio::reject("unauthorized");
  }
private:
  std::string token_;
};

/// The game: one actor, so its state needs no lock.
class game : public sio::socket_handler<player> {
public:
  explicit game(std::shared_ptr<scoreboard> board) : board_(std::move(board)) {}

  void on_start() override { every(std::chrono::milliseconds{200}, [this] { tick(); }); }
  sio::connect_verdict on_connect(const sio::connect_event& ev, player& p) override {
    rapidjson::Document auth; // the auth stage checked it is an object
    auth.Parse(ev.auth.c_str());
    if (!auth.HasMember("name") || !auth["name"].IsString())
      return sio::reject("a name is required");
    p.name = auth["name"].GetString();
    return sio::connect_verdict::accept();
  }
  void on_connect_done(const sio::connected_event& ev, player& p) override {
    io().to(ev.socket.socket_id).join("arena");
    io().to("arena").except(ev.socket.socket_id).emit("joined", p.name);
  }
  sio::message_reply on_event(const sio::message_event& ev, player& p) override {
    auto e = sio::event::read(ev);
    if (!e || e->name() != "move" || e->size() < 2 || !e->args()[0].IsInt()
        || !e->args()[1].IsInt())
      return sio::ack(ev, sio::raw_json{R"({"error":"move takes dx, dy"})"});
    p.x += e->args()[0].GetInt();
    p.y += e->args()[1].GetInt();
    ++p.moves;
    return sio::ack(ev, p.x, p.y);
  }
  void on_disconnect(const sio::disconnected_event&, player& p) override {
    io().to("arena").emit("left", p.name);
  }
private:
  void tick() {
    rapidjson::Document state(rapidjson::kArrayType);
    auto& a = state.GetAllocator();
    for (auto& [id, p] : sockets()) {
      rapidjson::Value v(rapidjson::kObjectType);
      v.AddMember("name", rapidjson::Value(p.name.c_str(), a), a);
      v.AddMember("x", p.x, a).AddMember("y", p.y, a).AddMember("moves", p.moves, a);
      state.PushBack(v, a);
    }
    io().to("arena").emit("state", ++ticks_, state);
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> w{out};
    state.Accept(w);
    std::lock_guard<std::mutex> lock{board_->m};
    board_->json = out.GetString();
  }
  std::shared_ptr<scoreboard> board_;
  uint64_t ticks_ = 0;
};

int main(int argc, char** argv) {
  sio::config::service_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = static_cast<uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8091);
  cfg.hubs.push_back({"game", /*allow_anonymous=*/true, {}, {}, {}, {}});
  sio::service svc{cfg};
  auto board = std::make_shared<scoreboard>();
  svc.use<auth_stage>("game", std::string{"let-me-in"});
  svc.handle<game>("game", board);
  svc.route("GET", "/scores", [board](const sio::http_request&, sio::http_responder respond) {
    std::lock_guard<std::mutex> lock{board->m};
    respond(sio::http_response::json(200, board->json));
  });
  return sio::run_until_signal(svc);
}
