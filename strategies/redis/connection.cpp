#include "strategies/redis/connection.hpp"

#include <charconv>
#include <sys/time.h>

#include "common/error.hpp"

namespace sharebench::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds t) {
  return {static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>(t.count() % 1000 * 1000)};
}

}  // namespace

Address parse_redis_url(const std::string& url) {
  Address a;
  a.text = url;
  if (url.rfind("unix://", 0) == 0 && url.size() > 7) {
    a.path = url.substr(7);
    return a;
  }
  if (url.rfind("redis://", 0) == 0) {
    const std::string rest = url.substr(8);
    const auto colon = rest.rfind(':');
    a.host = rest.substr(0, colon);
    if (colon != std::string::npos) {
      const char* digits = rest.c_str() + colon + 1;
      const auto [end, ec] = std::from_chars(digits, rest.c_str() + rest.size(), a.port);
      if (ec != std::errc() || *end != '\0' || a.port < 1 || a.port > 65535) a.host.clear();
    }
    if (!a.host.empty()) return a;
  }
  throw Error("--redis-url: '" + url + "' is not a Redis address; accepted: redis://HOST:PORT, unix:///PATH");
}

Connection::Connection(const Address& address, std::chrono::milliseconds timeout)
    : address_(address), timeout_(timeout) {
  const timeval tv = to_timeval(timeout);
  context_.reset(address.path.empty() ? redisConnectWithTimeout(address.host.c_str(), address.port, tv)
                                      : redisConnectUnixWithTimeout(address.path.c_str(), tv));
  if (!context_) throw Error("redis: cannot allocate a connection");
  if (context_->err != 0) throw Error("redis: cannot connect to " + address.text + ": " + context_->errstr);
  redisSetTimeout(context_.get(), tv);
}

void Connection::append(std::initializer_list<std::string_view> args) {
  argv_.clear();
  lengths_.clear();
  for (std::string_view a : args) {
    argv_.push_back(a.data());
    lengths_.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv_.size()), argv_.data(), lengths_.data()) !=
      REDIS_OK) {
    throw Error("redis: cannot queue a command: " + std::string(context_->errstr));
  }
}

Reply Connection::next_reply() {
  void* raw = nullptr;
  if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
    const std::string why = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)
                                ? "no reply within " + std::to_string(timeout_.count()) + " ms"
                                : std::string(context_->errstr);
    throw Error("redis: connection to " + address_.text + " lost: " + why);
  }
  return Reply(static_cast<redisReply*>(raw));
}

Reply Connection::command(std::initializer_list<std::string_view> args) {
  append(args);
  Reply reply = next_reply();
  if (reply->type == REDIS_REPLY_ERROR) throw Error("redis: " + std::string(reply->str, reply->len));
  return reply;
}

}  // namespace sharebench::redis
