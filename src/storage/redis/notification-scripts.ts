import { BROADCAST } from '../../notifications/notification.js';
import { LuaScript } from './lua-script.js';

/*
 * The Redis notification store's scripts. Each runs atomically, so every reader sees
 * whole appends and whole prune steps, and the writes publish with the write (channels
 * and messages: redis-channels.ts): append each notification, in cursor order, and the
 * read marks the user whose read state changed.
 *
 * Keys, under ARGV[1] (the store's namespace):
 *   history             hash: seq, the last issued sequence number (never reset, so never
 *                       reused), and epoch, a random id set when the hash is created (the
 *                       first append). A Redis that lost its data, or a restore, starts a
 *                       history with a new epoch; every cursor carries its epoch (src/cursor.ts),
 *                       so cursors of a lost history are told apart from the new one's.
 *   pruned              pruned-through cursor
 *   n:<id>              hash: json (the wire JSON), recipient, actor (absent when null)
 *   ids                 zset of every kept id (score = id), to prune in cursor order
 *   created             zset of every kept id by createdAt in ms, to find what is old
 *   to:<user>           zset of the ids addressed to the user by someone else
 *   broadcasts          zset of the broadcast ids
 *   broadcasts-by:<u>   zset of the broadcast ids whose actor is u, to leave them out
 *   read-through:<u>    everything up to it is read by u
 *   read:<u>            zset of ids above read-through that u marked read
 *
 * Key names are built here rather than passed as KEYS because which users' indexes a
 * batch touches is only known inside the script. That is fine on a single Redis (the
 * deployment this service supports); on Cluster the namespace would need a hash tag.
 * Ids (the sequence numbers) travel as decimal strings: Lua 5.1 would print large numbers
 * in exponent form. Members and scores are those numbers; cursors (the ids in the
 * notifications' JSON and in what the scripts return) are `<id>-<epoch>`.
 */
const PRELUDE = `
local namespace = ARGV[1]
local HISTORY = namespace .. 'history'
local PRUNED = namespace .. 'pruned'
local IDS = namespace .. 'ids'
local CREATED = namespace .. 'created'
local BROADCASTS = namespace .. 'broadcasts'
local BROADCAST = '${BROADCAST}'

local function notificationKey(id) return namespace .. 'n:' .. id end
local function targetedKey(user) return namespace .. 'to:' .. user end
local function broadcastsByKey(actor) return namespace .. 'broadcasts-by:' .. actor end
local function readThroughKey(user) return namespace .. 'read-through:' .. user end
local function readKey(user) return namespace .. 'read:' .. user end

local function number(value) return tonumber(value) or 0 end
local function decimal(n) return string.format('%d', n) end

-- Up to want members of a zset, in score order from the exclusive bound 'from' towards
-- 'to', that pass keep (nil keeps all). Reads in chunks, so that skipping costs only
-- what is skipped, never the whole set.
local function collect(key, from, to, descending, want, keep)
  local found = {}
  if want <= 0 then return found end
  local command = descending and 'ZREVRANGEBYSCORE' or 'ZRANGEBYSCORE'
  local chunk = keep and math.max(want, 64) or want
  while true do
    local members = redis.call(command, key, from, to, 'LIMIT', 0, chunk)
    for _, member in ipairs(members) do
      if keep == nil or keep(member) then
        found[#found + 1] = member
        if #found == want then return found end
      end
    end
    if #members < chunk then return found end
    from = '(' .. members[#members]
  end
end

-- The first limit ids of two sorted id lists, merged in the same order.
local function merge(a, b, descending, limit)
  local merged, i, j = {}, 1, 1
  while #merged < limit and (i <= #a or j <= #b) do
    local takeA = j > #b
    if i <= #a and j <= #b then
      local x, y = tonumber(a[i]), tonumber(b[j])
      if descending then takeA = x > y else takeA = x < y end
    end
    if takeA then
      merged[#merged + 1] = a[i]
      i = i + 1
    else
      merged[#merged + 1] = b[j]
      j = j + 1
    end
  end
  return merged
end

-- Whether a broadcast is someone else's, for user; nil when the user broadcast nothing.
local function othersBroadcasts(user)
  local own = broadcastsByKey(user)
  if redis.call('EXISTS', own) == 0 then return nil end
  return function(id) return not redis.call('ZSCORE', own, id) end
end

local function isVisible(user, id)
  if redis.call('ZSCORE', targetedKey(user), id) then return true end
  return redis.call('ZSCORE', BROADCASTS, id) ~= false
    and not redis.call('ZSCORE', broadcastsByKey(user), id)
end

local function json(id) return redis.call('HGET', notificationKey(id), 'json') end

-- The history's epoch; false before the first append (or after the data was lost).
local function currentEpoch() return redis.call('HGET', HISTORY, 'epoch') end
local function lastIssued() return number(redis.call('HGET', HISTORY, 'seq')) end
-- Data from before epochs (not yet appended to since) has none: its ids are its cursors.
local function cursorOf(id, epoch)
  if not epoch then return id end
  return id .. '-' .. epoch
end
`;

const script = (body: string) => new LuaScript(`${PRELUDE}\n${body}`);

/**
 * ARGV: namespace, channel, createdAt (ms), a fresh random epoch (used only if this append
 * starts the history), then per draft: recipient, '1' or '0' (has an actor), actor, and
 * the draft's wire JSON after its opening brace. The cursor goes in front of that JSON
 * here, so what is stored and published is byte for byte the notification's
 * JSON.stringify, without a JSON encoder in Lua. Returns the cursors.
 */
export const APPEND = script(`
local channel, createdAt = ARGV[2], ARGV[3]
local count = (#ARGV - 4) / 4
if redis.call('HSETNX', HISTORY, 'epoch', ARGV[4]) == 1 then
  -- Data of a version without epochs goes on under the new epoch, from its sequence.
  local legacy = redis.call('GET', namespace .. 'seq')
  if legacy then
    redis.call('HSET', HISTORY, 'seq', legacy)
    redis.call('DEL', namespace .. 'seq')
  end
end
local epoch = currentEpoch()
local last = redis.call('HINCRBY', HISTORY, 'seq', count)
local ids = {}
for i = 1, count do
  local at = 4 + (i - 1) * 4
  local recipient, hasActor, actor = ARGV[at + 1], ARGV[at + 2] == '1', ARGV[at + 3]
  local id = decimal(last - count + i)
  local wire = '{"id":"' .. cursorOf(id, epoch) .. '",' .. ARGV[at + 4]
  if hasActor then
    redis.call('HSET', notificationKey(id), 'json', wire, 'recipient', recipient, 'actor', actor)
  else
    redis.call('HSET', notificationKey(id), 'json', wire, 'recipient', recipient)
  end
  redis.call('ZADD', IDS, id, id)
  redis.call('ZADD', CREATED, createdAt, id)
  if recipient == BROADCAST then
    redis.call('ZADD', BROADCASTS, id, id)
    if hasActor then redis.call('ZADD', broadcastsByKey(actor), id, id) end
  elseif not (hasActor and actor == recipient) then
    -- A notification addressed to its own actor is never visible: it is not indexed.
    redis.call('ZADD', targetedKey(recipient), id, id)
  end
  redis.call('PUBLISH', channel, wire)
  ids[i] = cursorOf(id, epoch)
end
return ids
`);

/**
 * ARGV: namespace, sequence, epoch (of a well-formed cursor). Returns 'ok', 'expired', or
 * 'unknown' for a cursor never issued in this history (another epoch: a lost history).
 */
export const CURSOR_STATE = script(`
local sequence, epoch = tonumber(ARGV[2]), ARGV[3]
if epoch ~= currentEpoch() or sequence > lastIssued() then return 'unknown' end
if sequence < number(redis.call('GET', PRUNED)) then return 'expired' end
return 'ok'
`);

/**
 * ARGV: namespace, user, after (a sequence number), its epoch, limit. Returns the JSON
 * of each. After a cursor of another history (a lost one) comes all of this history.
 */
export const READ_AFTER = script(`
local user, limit = ARGV[2], tonumber(ARGV[5])
local from = ARGV[4] == currentEpoch() and '(' .. ARGV[3] or '-inf'
local targeted = collect(targetedKey(user), from, '+inf', false, limit, nil)
local broadcasts = collect(BROADCASTS, from, '+inf', false, limit, othersBroadcasts(user))
local found = {}
for i, id in ipairs(merge(targeted, broadcasts, false, limit)) do found[i] = json(id) end
return found
`);

/** ARGV: namespace, user. Returns the user's newest cursor, or nil. */
export const LATEST = script(`
local user = ARGV[2]
local targeted = collect(targetedKey(user), '+inf', '-inf', true, 1, nil)
local broadcasts = collect(BROADCASTS, '+inf', '-inf', true, 1, othersBroadcasts(user))
local id = merge(targeted, broadcasts, true, 1)[1]
if id == nil then return nil end
return cursorOf(id, currentEpoch())
`);

/**
 * ARGV: namespace, user, before (an exclusive score bound or '+inf'), limit, '1' for
 * unread only, before's epoch. Returns JSON and read flag (1 or 0) in turn, newest first;
 * nothing before a cursor of another history (all of this one came after it).
 */
export const INBOX = script(`
local user, before, limit, unreadOnly = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1'
if before ~= '+inf' and ARGV[6] ~= currentEpoch() then return {} end
local readThrough = number(redis.call('GET', readThroughKey(user)))
local reads = readKey(user)
local function isRead(id)
  return tonumber(id) <= readThrough or redis.call('ZSCORE', reads, id) ~= false
end
local others = othersBroadcasts(user)
local floor, keepTargeted, keepBroadcast = '-inf', nil, others
if unreadOnly then
  -- Everything up to read-through is read: the search stops there.
  floor = '(' .. decimal(readThrough)
  keepTargeted = function(id) return not isRead(id) end
  keepBroadcast = function(id) return (others == nil or others(id)) and not isRead(id) end
end
local targeted = collect(targetedKey(user), before, floor, true, limit, keepTargeted)
local broadcasts = collect(BROADCASTS, before, floor, true, limit, keepBroadcast)
local rows = {}
for _, id in ipairs(merge(targeted, broadcasts, true, limit)) do
  rows[#rows + 1] = json(id)
  rows[#rows + 1] = isRead(id) and 1 or 0
end
return rows
`);

/**
 * ARGV: namespace, user. Returns the unread count and the last issued cursor ('0' for
 * none). Read marks at or below pruned-through are ignored rather than deleted by
 * prune, which cannot know every user who has some.
 */
export const UNREAD_COUNT = script(`
local user = ARGV[2]
local through = math.max(number(redis.call('GET', readThroughKey(user))), number(redis.call('GET', PRUNED)))
local from = '(' .. decimal(through)
local count = redis.call('ZCOUNT', targetedKey(user), from, '+inf')
  + redis.call('ZCOUNT', BROADCASTS, from, '+inf')
  - redis.call('ZCOUNT', broadcastsByKey(user), from, '+inf')
  - redis.call('ZCOUNT', readKey(user), from, '+inf')
local last = lastIssued()
return { count, last == 0 and '0' or cursorOf(decimal(last), currentEpoch()) }
`);

/**
 * ARGV: namespace, user, id, its epoch, reads channel. Returns 1 and publishes the user on
 * the reads channel, or returns 0 when the user cannot see that id.
 */
export const MARK_READ = script(`
local user, id, channel = ARGV[2], ARGV[3], ARGV[5]
if ARGV[4] ~= currentEpoch() or not isVisible(user, id) then return 0 end
local reads = readKey(user)
redis.call('ZREMRANGEBYSCORE', reads, '-inf', redis.call('GET', PRUNED) or '0')
if tonumber(id) > number(redis.call('GET', readThroughKey(user))) then
  redis.call('ZADD', reads, id, id)
end
redis.call('PUBLISH', channel, user)
return 1
`);

/** ARGV: namespace, user, reads channel. Publishes the user on the reads channel. */
export const MARK_ALL_READ = script(`
local user, channel = ARGV[2], ARGV[3]
local key = readThroughKey(user)
local through = math.max(lastIssued(), number(redis.call('GET', key)))
redis.call('SET', key, decimal(through))
redis.call('ZREMRANGEBYSCORE', readKey(user), '-inf', decimal(through))
redis.call('PUBLISH', channel, user)
`);

/**
 * One bounded step of a prune, so that a large backlog never blocks Redis for long.
 * ARGV: namespace, cutoff (ms), batch. Takes up to batch of the notifications created
 * before cutoff, deletes every notification up to the greatest of their ids, and moves
 * pruned-through there; so what is deleted is always all ids up to pruned-through,
 * even when clocks disagree. Returns how many were deleted and 1 when there may be more.
 */
export const PRUNE_STEP = script(`
local cutoff, batch = ARGV[2], tonumber(ARGV[3])
local old = redis.call('ZRANGEBYSCORE', CREATED, '-inf', '(' .. cutoff, 'LIMIT', 0, batch)
if #old == 0 then return { 0, 0 } end
local through = 0
for _, id in ipairs(old) do through = math.max(through, tonumber(id)) end
through = decimal(through)
local doomed = redis.call('ZRANGEBYSCORE', IDS, '-inf', through)
for _, id in ipairs(doomed) do
  local key = notificationKey(id)
  local route = redis.call('HMGET', key, 'recipient', 'actor')
  if route[1] == BROADCAST then
    redis.call('ZREM', BROADCASTS, id)
    if route[2] then redis.call('ZREM', broadcastsByKey(route[2]), id) end
  elseif route[1] then
    redis.call('ZREM', targetedKey(route[1]), id)
  end
  redis.call('ZREM', CREATED, id)
  redis.call('DEL', key)
end
redis.call('ZREMRANGEBYSCORE', IDS, '-inf', through)
if tonumber(through) > number(redis.call('GET', PRUNED)) then redis.call('SET', PRUNED, through) end
return { #doomed, #old == batch and 1 or 0 }
`);
