//! The Lua scripts. Redis runs a script atomically, which is what makes "read, compare,
//! then write" safe when several processes race for the same key; a plain GET followed
//! by a SET from the client would let two holders both believe they won.
//!
//! [`redis::Script`] sends `EVALSHA` and loads the script on `NOSCRIPT`, so a Redis
//! restart (which forgets loaded scripts) costs one extra round trip, not an error.

use redis::Script;
use std::sync::LazyLock;

/// Takes a holder key if it is free, or renews it if the caller already holds it.
///
/// `KEYS[1]` the key; `ARGV[1]` the holder; `ARGV[2]` the ttl in milliseconds.
/// Returns 1 when the caller holds the key afterwards, 0 when someone else does.
/// Used by both leases and attempt claims: the two differ only in key naming.
pub(crate) static TAKE_OR_RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
",
    )
});

/// Deletes a holder key only if the caller holds it, so a holder whose lease already
/// lapsed and passed to someone else cannot delete the new holder's lease.
///
/// `KEYS[1]` the key; `ARGV[1]` the holder. Returns the number of keys deleted.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

/// Records a heartbeat: the worker's JSON under its own key with a ttl, and its expiry
/// in the workers index. The expiry comes from the server's clock (`TIME`), the same
/// clock that expires the key, so workers on hosts with skewed clocks still agree.
///
/// `KEYS[1]` the worker key; `KEYS[2]` the workers sorted set; `ARGV[1]` the JSON;
/// `ARGV[2]` the ttl in milliseconds; `ARGV[3]` the worker id (the set member).
pub(crate) static HEARTBEAT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], string.format('%.0f', now + tonumber(ARGV[2])), ARGV[3])
return 1
",
    )
});

/// Drops expired members from the workers index and returns the live ones' ids, using
/// the server's clock like [`HEARTBEAT`].
///
/// `KEYS[1]` the workers sorted set.
pub(crate) static LIVE_WORKER_IDS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
",
    )
});

/// One GCRA step of a shared bandwidth budget (see `ferry_common::budget::gcra_step`,
/// which this mirrors), on Redis's own clock so workers' clocks never matter.
///
/// `KEYS[1]` the budget; `ARGV[1]` bytes; `ARGV[2]` bytes per second; `ARGV[3]` the
/// burst in ms. Returns the wait in microseconds.
pub(crate) static RESERVE_BANDWIDTH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - tonumber(ARGV[3])
local new = tat + tonumber(ARGV[1]) * 1000 / tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.3f', new), 'PX', math.ceil(new - now) + 1000)
if wait < 0 then wait = 0 end
return math.floor(wait * 1000)
",
    )
});

/// One GCRA admission of an API rate limit (mirrors `ferry_common::budget::gcra_admit`),
/// on Redis's clock: a refusal spends nothing.
///
/// `KEYS[1]` the limit; `ARGV[1]` requests per second; `ARGV[2]` the burst. Returns 0 to
/// admit, else the wait in microseconds before one more would be admitted.
pub(crate) static ADMIT_REQUEST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = 1000 / tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local ahead = tat - now
if ahead > tolerance then
  return math.max(1, math.floor((ahead - tolerance) * 1000))
end
local new = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', new), 'PX', math.ceil(new - now) + 1000)
return 0
",
    )
});
