import { LuaScript } from './lua-script.js';

/**
 * Every presence operation on Redis, as one atomic script. One script rather than one per
 * operation: an instance's operations on a document must run in the order it sent them
 * (an exit right after an enter), and with a single script a NOSCRIPT retry (first use,
 * or a restarted Redis) cannot let a later operation overtake an earlier one.
 *
 * Keys of one document:
 *   KEYS[1] members    zset "<instance>|<user>" → expiry (ms, Redis clock): which instance
 *                      holds streams of whom, refreshed by that instance every TTL / 4
 *   KEYS[2] counts     hash user → number of their members: present while above 0
 *   KEYS[3] positions  hash user → JSON position, kept only while the user is present
 * ARGV: op, channel, document id, TTL (ms), then the operation's own arguments. Events
 * are published as described in redis-channels.ts.
 *
 * Members whose instance stopped refreshing them (it crashed) are swept by whichever
 * instance next opens a stream on the document or refreshes its own members there; the
 * sweep publishes the `leave` of a user left with no member, exactly once, since it runs
 * atomically. The keys expire 2 × TTL after the last refresh, so a Redis whose instances
 * all died empties itself. Time is Redis's own, so instances' clocks need not agree.
 */
export const PRESENCE_SCRIPT = new LuaScript(`
if redis.replicate_commands then redis.replicate_commands() end
local MEMBERS, COUNTS, POSITIONS = KEYS[1], KEYS[2], KEYS[3]
local op, channel, document, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local function announce(kind, user)
  redis.call('PUBLISH', channel, cjson.encode({ documentId = document, type = kind, userId = user }))
end

local function userOf(member)
  return string.sub(member, string.find(member, '|', 1, true) + 1)
end

-- Adds or refreshes one instance's member; the user joins when it is their first.
local function add(member)
  local user = userOf(member)
  if redis.call('ZADD', MEMBERS, string.format('%d', now + ttl), member) == 1
    and redis.call('HINCRBY', COUNTS, user, 1) == 1 then
    announce('join', user)
  end
end

-- Removes one member; the user leaves, and their position goes, when it was their last.
local function remove(member)
  if redis.call('ZREM', MEMBERS, member) == 0 then return end
  local user = userOf(member)
  if redis.call('HINCRBY', COUNTS, user, -1) <= 0 then
    redis.call('HDEL', COUNTS, user)
    redis.call('HDEL', POSITIONS, user)
    announce('leave', user)
  end
end

local function sweep()
  local expired = redis.call('ZRANGEBYSCORE', MEMBERS, '-inf', string.format('%d', now))
  for _, member in ipairs(expired) do remove(member) end
end

local function keep()
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ttl * 2) end
end

if op == 'enter' then
  sweep()
  add(ARGV[5])
  keep()
elseif op == 'exit' then
  remove(ARGV[5])
elseif op == 'move' then
  -- ARGV[5] user, ARGV[6] position JSON, ARGV[7] the move event, framed by the caller
  -- (Lua's cjson would round the coordinates to 14 digits)
  if redis.call('HEXISTS', COUNTS, ARGV[5]) == 1 then
    redis.call('HSET', POSITIONS, ARGV[5], ARGV[6])
    redis.call('PEXPIRE', POSITIONS, ttl * 2)
    redis.call('PUBLISH', channel, ARGV[7])
  end
elseif op == 'snapshot' then
  sweep()
  return redis.call('HGETALL', POSITIONS)
elseif op == 'tick' then
  -- ARGV[5..] this instance's members: refreshed (re-added, with a join, if Redis lost
  -- them in an outage) before the sweep, so that a late tick never sweeps its own users
  for i = 5, #ARGV do add(ARGV[i]) end
  sweep()
  keep()
else
  return redis.error_reply('unknown presence operation ' .. tostring(op))
end
return nil
`);
