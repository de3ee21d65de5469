#include "bridge/transport/transport_url.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace amqp::transport {
namespace {

constexpr absl::string_view kEscapeHint =
    " (if a user name or password has a ',', '/', '?', '@' or '%', "
    "percent-encode it: %2C, %2F, %3F, %40, %25)";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// urllib.parse.unquote; `plus_is_space` for query parts (parse_qs).
absl::StatusOr<std::string> Unquote(absl::string_view text,
                                    absl::string_view what,
                                    bool plus_is_space = false) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad %-escape in the ", what, " of transport_url"));
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (plus_is_space && c == '+') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Quote(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// `url_has_credentials`: some part of the URL has an '@'. Then text of a
// host without one may be the start of a password split off at an unescaped
// ',', '/' or '?' ("u:pass,word@h" reads as host "u", port "pass"), so the
// errors do not show that text.
absl::StatusOr<BrokerHost> ParseHost(absl::string_view netloc,
                                     bool url_has_credentials) {
  BrokerHost host;
  const bool has_credentials = netloc.find('@') != absl::string_view::npos;
  // Whether the text of the address may appear in an error.
  const bool show = has_credentials || !url_has_credentials;
  absl::string_view address = netloc;
  if (const size_t at = netloc.rfind('@'); at != absl::string_view::npos) {
    absl::string_view credentials = netloc.substr(0, at);
    address = netloc.substr(at + 1);
    absl::string_view user = credentials;
    absl::string_view password;
    if (const size_t colon = credentials.find(':');
        colon != absl::string_view::npos) {
      user = credentials.substr(0, colon);
      password = credentials.substr(colon + 1);
    }
    absl::StatusOr<std::string> u = Unquote(user, "user name");
    if (!u.ok()) return u.status();
    absl::StatusOr<std::string> p = Unquote(password, "password");
    if (!p.ok()) return p.status();
    if (!u->empty()) host.user = *std::move(u);
    if (!p->empty()) host.password = *std::move(p);
  }

  absl::string_view port;
  if (absl::ConsumePrefix(&address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("unterminated IPv6 host '[", show ? address : "...",
                       "' in transport_url", show ? "" : kEscapeHint));
    }
    host.host = std::string(address.substr(0, close));
    absl::string_view rest = address.substr(close + 1);
    if (!rest.empty() && !absl::ConsumePrefix(&rest, ":")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected '", show ? rest : "...",
          "' after IPv6 host in transport_url", show ? "" : kEscapeHint));
    }
    port = rest;
  } else {
    const size_t colon = address.rfind(':');
    if (colon != absl::string_view::npos) {
      port = address.substr(colon + 1);
      address = address.substr(0, colon);
    }
    if (!address.empty()) host.host = std::string(address);
  }
  if (!port.empty()) {
    if (!absl::SimpleAtoi(port, &host.port) || host.port <= 0 ||
        host.port > 65535) {
      if (!show) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad port for host '", host.host, "' in transport_url",
                         kEscapeHint));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "bad port '", port, "' for host '", host.host, "' in transport_url"));
    }
  }
  return host;
}

}  // namespace

absl::StatusOr<TransportUrl> ParseTransportUrl(absl::string_view url) {
  TransportUrl parsed;
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        "transport_url must look like rabbit://user:pass@host:port/vhost");
  }
  parsed.scheme = absl::AsciiStrToLower(url.substr(0, scheme_end));
  if (parsed.scheme != "rabbit" && parsed.scheme != "kombu" &&
      parsed.scheme != "amqp" && parsed.scheme != "amqps") {
    return absl::InvalidArgumentError(
        absl::StrCat("transport_url scheme '", parsed.scheme,
                     "' is not supported: use rabbit://"));
  }
  absl::string_view rest = url.substr(scheme_end + 3);

  absl::string_view query;
  if (const size_t q = rest.find('?'); q != absl::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  absl::string_view netlocs = rest;
  absl::string_view path;
  if (const size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    netlocs = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }

  // A password with an unescaped '/' or '?' ends the hosts early and its
  // rest lands in the vhost or the query, which are logged: refuse it
  // without showing any of it.
  const bool at_after_hosts = path.find('@') != absl::string_view::npos ||
                              query.find('@') != absl::string_view::npos;
  if (at_after_hosts) {
    for (absl::string_view netloc : absl::StrSplit(netlocs, ',')) {
      if (netloc.find('@') == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "transport_url has an '@' after its host list", kEscapeHint));
      }
    }
  }
  const bool url_has_credentials =
      rest.find('@') != absl::string_view::npos || at_after_hosts;
  if (!netlocs.empty()) {
    parsed.hosts.clear();
    for (absl::string_view netloc : absl::StrSplit(netlocs, ',')) {
      absl::StatusOr<BrokerHost> host = ParseHost(netloc, url_has_credentials);
      if (!host.ok()) return host.status();
      parsed.hosts.push_back(*std::move(host));
    }
  }

  absl::StatusOr<std::string> vhost = Unquote(path, "virtual host");
  if (!vhost.ok()) return vhost.status();
  if (!vhost->empty()) parsed.vhost = *std::move(vhost);

  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    absl::StatusOr<std::string> key = Unquote(kv.first, "query", true);
    if (!key.ok()) return key.status();
    absl::StatusOr<std::string> value = Unquote(kv.second, "query", true);
    if (!value.ok()) return value.status();
    auto existing =
        std::find_if(parsed.query.begin(), parsed.query.end(),
                     [&](const auto& option) { return option.first == *key; });
    if (existing != parsed.query.end()) {
      absl::StrAppend(&existing->second, ",", *value);
    } else {
      parsed.query.emplace_back(*std::move(key), *std::move(value));
    }
  }
  if (parsed.scheme == "amqps") parsed.query.emplace_back("ssl", "true");
  return parsed;
}

std::string TransportUrl::Redacted() const {
  std::vector<std::string> hosts_text;
  for (const BrokerHost& host : hosts) {
    const bool ipv6 = host.host.find(':') != std::string::npos;
    hosts_text.push_back(absl::StrCat(Quote(host.user), ":***@",
                                      ipv6 ? "[" : "", host.host,
                                      ipv6 ? "]" : "", ":", host.port));
  }
  std::string out = absl::StrCat(scheme, "://", absl::StrJoin(hosts_text, ","),
                                 "/", vhost == "/" ? "" : Quote(vhost));
  if (!query.empty()) {
    absl::StrAppend(&out, "?",
                    absl::StrJoin(query, "&", absl::PairFormatter("=")));
  }
  return out;
}

bool AbslParseFlag(absl::string_view text, TransportUrlFlag* flag,
                   std::string* /*error*/) {
  flag->text = std::string(text);
  return true;
}

std::string AbslUnparseFlag(const TransportUrlFlag& flag) {
  if (flag.text.find('@') == std::string::npos) return flag.text;
  absl::StatusOr<TransportUrl> url = ParseTransportUrl(flag.text);
  return url.ok() ? url->Redacted() : "(an invalid transport_url, not shown)";
}

}  // namespace amqp::transport
