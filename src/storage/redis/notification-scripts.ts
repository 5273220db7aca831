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
 *   n:<id>              hash: json (the wire JSON), recipient, actor (absent when null),
 *                       type (absent for notifications stored before types were indexed)
 *   ids                 zset of every kept id (score = id), to prune in cursor order
 *   created             zset of every kept id by createdAt in ms, to find what is old
 *   to:<user>           zset of the ids addressed to the user by someone else
 *   broadcasts          zset of the broadcast ids
 *   broadcasts-by:<u>   zset of the broadcast ids whose actor is u, to leave them out
 *   to-type:<T>:<user>  zset of the ids in to:<user> of type T
 *   broadcasts-type:<t> zset of the broadcast ids of type t
 *   broadcasts-by-type:<T>:<u>  zset of the ids in broadcasts-by:<u> of type T
 *                       (<T> is the type's length, ':' and the type, so that no pair of
 *                       type and user ids can make the same key as another)
 *   types               set of every type ever appended (never pruned)
 *   read-through:<u>    everything up to it is read by u, but what unread:<u> holds
 *   read:<u>            zset of ids above read-through that u marked read
 *   unread:<u>          zset of ids at or below read-through that u marked unread again
 *   archived:<u>        zset of the ids u archived
 *   stateful            zset of the users with any of the four above, scored by the lowest
 *                       id their state may refer to, so that prune finds what it must
 *                       take with the notifications it deletes without visiting every user
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
local TYPES = namespace .. 'types'
local STATEFUL = namespace .. 'stateful'
local BROADCAST = '${BROADCAST}'

local function notificationKey(id) return namespace .. 'n:' .. id end
local function targetedKey(user) return namespace .. 'to:' .. user end
local function broadcastsByKey(actor) return namespace .. 'broadcasts-by:' .. actor end
local function readThroughKey(user) return namespace .. 'read-through:' .. user end
local function readKey(user) return namespace .. 'read:' .. user end
local function unreadKey(user) return namespace .. 'unread:' .. user end
local function archivedKey(user) return namespace .. 'archived:' .. user end
local function typeKey(t) return #t .. ':' .. t end
local function targetedOfTypeKey(t, user) return namespace .. 'to-type:' .. typeKey(t) .. ':' .. user end
local function broadcastsOfTypeKey(t) return namespace .. 'broadcasts-type:' .. t end
local function broadcastsByOfTypeKey(t, actor)
  return namespace .. 'broadcasts-by-type:' .. typeKey(t) .. ':' .. actor
end

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
-- nil for a notification stored before types were indexed: it counts as of no type.
local function typeOf(id) return redis.call('HGET', notificationKey(id), 'type') or nil end
local function setOf(list)
  local set = {}
  for _, value in ipairs(list) do set[value] = true end
  return set
end
local function prunedThrough() return number(redis.call('GET', PRUNED)) end

-- The user's read-through, and whether an id of theirs is read.
local function readState(user)
  local through = number(redis.call('GET', readThroughKey(user)))
  local reads, unreads = readKey(user), unreadKey(user)
  return through, function(id)
    if tonumber(id) <= through then return redis.call('ZSCORE', unreads, id) == false end
    return redis.call('ZSCORE', reads, id) ~= false
  end
end

-- Lets prune find the user's state about id (see stateful above). Not ZADD LT, which
-- needs Redis 6.2.
local function noteState(user, id)
  local score = redis.call('ZSCORE', STATEFUL, user)
  if not score or tonumber(id) < tonumber(score) then redis.call('ZADD', STATEFUL, id, user) end
end

-- The history's epoch; false before the first append (or after the data was lost).
local function currentEpoch() return redis.call('HGET', HISTORY, 'epoch') end
local function lastIssued() return number(redis.call('HGET', HISTORY, 'seq')) end
-- Data from before epochs (not yet appended to since) has none: its ids are its cursors.
local function cursorOf(id, epoch)
  if not epoch then return id end
  return id .. '-' .. epoch
end

-- Whether ARGV[3] (an id) of ARGV[4] (its epoch) is one of ARGV[2]'s (the user's).
local function changeable()
  return ARGV[4] == currentEpoch() and isVisible(ARGV[2], ARGV[3])
end

local function markRead(user, id)
  local reads = readKey(user)
  redis.call('ZREMRANGEBYSCORE', reads, '-inf', decimal(prunedThrough()))
  if tonumber(id) > number(redis.call('GET', readThroughKey(user))) then
    redis.call('ZADD', reads, id, id)
    noteState(user, id)
  else
    redis.call('ZREM', unreadKey(user), id)
  end
end
`;

const script = (body: string) => new LuaScript(`${PRELUDE}\n${body}`);

/**
 * ARGV: namespace, channel, createdAt (ms), a fresh random epoch (used only if this append
 * starts the history), the key recording this append as a write of a request that may run
 * again ('' for none: storage/request-writes.ts), how long to keep that record (ms), then
 * per draft: recipient, '1' or '0' (has an actor), actor, type, and the draft's wire JSON
 * after its opening brace. Records each type in the same step. The cursor goes in front
 * of that JSON here, so what is stored and published is byte for byte the notification's
 * JSON.stringify, without a JSON encoder in Lua. Returns the JSON of each notification
 * stored; when the record key holds the notifications of the same append by an earlier
 * run of the request, stores nothing and returns those. Publishes each with a header of
 * cursor, type and recipient in front of that JSON, on its recipient's channel (channel,
 * ':' and the user: userChannel in redis-channels.ts) or on the shared channel (channel).
 */
export const APPEND = script(`
local channel, createdAt = ARGV[2], ARGV[3]
local record, recordTtl = ARGV[5], ARGV[6]
if record ~= '' then
  local earlier = redis.call('LRANGE', record, 0, -1)
  if #earlier > 0 then return earlier end
end
local count = (#ARGV - 6) / 5
local startsHistory = redis.call('HSETNX', HISTORY, 'epoch', ARGV[4]) == 1
if startsHistory then
  -- Data of a version without epochs goes on under the new epoch, from its sequence.
  local legacy = redis.call('GET', namespace .. 'seq')
  if legacy then
    redis.call('HSET', HISTORY, 'seq', legacy)
    redis.call('DEL', namespace .. 'seq')
  end
end
local epoch = currentEpoch()
local last = redis.call('HINCRBY', HISTORY, 'seq', count)
local stored = {}
-- Each run of consecutive notifications for one channel goes out as one message, in
-- cursor order: an instance subscribed to several channels hears cursors in order.
local run, runChannel = {}, nil
local function flush()
  if runChannel then redis.call('PUBLISH', runChannel, table.concat(run, '\\n')) end
  run = {}
end
for i = 1, count do
  local at = 6 + (i - 1) * 5
  local recipient, hasActor, actor = ARGV[at + 1], ARGV[at + 2] == '1', ARGV[at + 3]
  local type = ARGV[at + 4]
  local id = decimal(last - count + i)
  local wire = '{"id":"' .. cursorOf(id, epoch) .. '",' .. ARGV[at + 5]
  local key = notificationKey(id)
  redis.call('HSET', key, 'json', wire, 'recipient', recipient, 'type', type)
  if hasActor then redis.call('HSET', key, 'actor', actor) end
  local newType = redis.call('SADD', TYPES, type) == 1
  redis.call('ZADD', IDS, id, id)
  redis.call('ZADD', CREATED, createdAt, id)
  if recipient == BROADCAST then
    redis.call('ZADD', BROADCASTS, id, id)
    redis.call('ZADD', broadcastsOfTypeKey(type), id, id)
    if hasActor then
      redis.call('ZADD', broadcastsByKey(actor), id, id)
      redis.call('ZADD', broadcastsByOfTypeKey(type, actor), id, id)
    end
  elseif not (hasActor and actor == recipient) then
    -- A notification addressed to its own actor is never visible: it is not indexed.
    redis.call('ZADD', targetedKey(recipient), id, id)
    redis.call('ZADD', targetedOfTypeKey(type, recipient), id, id)
  end
  -- On the recipient's channel, heard only where they have a stream; on the shared one
  -- what every instance must hear: a broadcast, a history's first, a type's first.
  local to = channel .. ':' .. recipient
  if recipient == BROADCAST or newType or (startsHistory and i == 1) then to = channel end
  if to ~= runChannel then
    flush()
    runChannel = to
  end
  -- Header first, so that an instance without the recipient's streams skips it unparsed.
  run[#run + 1] = cursorOf(id, epoch) .. '\\n' .. type .. '\\n' .. cjson.encode(recipient) .. '\\n' .. wire
  stored[i] = wire
  if record ~= '' then redis.call('RPUSH', record, wire) end
end
flush()
if record ~= '' then redis.call('PEXPIRE', record, recordTtl) end
return stored
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
 * unread only, before's epoch, '1' for archived only ('0': archived ones left out), the
 * types asked for (a JSON array, '' for all), the muted types (a JSON array). Returns
 * JSON and read flag (1 or 0) in turn, newest first; nothing before a cursor of another
 * history (all of this one came after it).
 *
 * The ids come from a few sources, each in id order, then merged: the user's archive; or
 * their targeted ids and the broadcasts (per type when types are asked for, so that a
 * rare type costs what it holds, not the whole inbox); with unread only, the search of
 * those stops at read-through and unread:<u> adds what was marked unread below it.
 */
export const INBOX = script(`
local user, before, limit = ARGV[2], ARGV[3], tonumber(ARGV[4])
local unreadOnly, archivedOnly = ARGV[5] == '1', ARGV[7] == '1'
if before ~= '+inf' and ARGV[6] ~= currentEpoch() then return {} end
local wanted = ARGV[8] ~= '' and setOf(cjson.decode(ARGV[8])) or nil
local muted = setOf(cjson.decode(ARGV[9]))
local byType = wanted ~= nil or next(muted) ~= nil
local readThrough, isRead = readState(user)
local archives = archivedKey(user)
local hasArchives = redis.call('EXISTS', archives) == 1
local aboveRead = unreadOnly and '(' .. decimal(readThrough) or '-inf'
local abovePruned = '(' .. decimal(prunedThrough())

-- Whether an id of a source passes the filters; checkType when the source holds every
-- type, own: the user's own broadcasts in the source, to leave out.
local function filter(checkType, own)
  if own and redis.call('EXISTS', own) == 0 then own = nil end
  return function(id)
    if own and redis.call('ZSCORE', own, id) then return false end
    if not archivedOnly and hasArchives and redis.call('ZSCORE', archives, id) then return false end
    if unreadOnly and isRead(id) then return false end
    if checkType and byType then
      local t = typeOf(id)
      if wanted and not (t and wanted[t]) then return false end
      if t and muted[t] then return false end
    end
    return true
  end
end

local sources = {}
local function source(key, floor, keep) sources[#sources + 1] = { key, floor, keep } end
if archivedOnly then
  source(archives, abovePruned, filter(true, nil))
else
  if wanted then
    for t in pairs(wanted) do
      if not muted[t] then
        source(targetedOfTypeKey(t, user), aboveRead, filter(false, nil))
        source(broadcastsOfTypeKey(t), aboveRead, filter(false, broadcastsByOfTypeKey(t, user)))
      end
    end
  else
    source(targetedKey(user), aboveRead, filter(true, nil))
    source(BROADCASTS, aboveRead, filter(true, broadcastsByKey(user)))
  end
  if unreadOnly then source(unreadKey(user), abovePruned, filter(true, nil)) end
end

local found = {}
for _, s in ipairs(sources) do
  for _, id in ipairs(collect(s[1], before, s[2], true, limit, s[3])) do found[#found + 1] = id end
end
table.sort(found, function(a, b) return tonumber(a) > tonumber(b) end)
local rows = {}
for i = 1, math.min(limit, #found) do
  rows[#rows + 1] = json(found[i])
  rows[#rows + 1] = isRead(found[i]) and 1 or 0
end
return rows
`);

/**
 * ARGV: namespace, user, the muted types (a JSON array). Returns the unread count and the
 * last issued cursor ('0' for none). Counts the ids above read-through with ZCOUNT (less
 * those of muted types, from the type indexes), then corrects by the user's own marks:
 * read above it, unread below it, archived. Marks at or below pruned-through are ignored
 * (prune takes them away in steps of its own).
 */
export const UNREAD_COUNT = script(`
local user = ARGV[2]
local muted = setOf(cjson.decode(ARGV[3]))
local pruned = prunedThrough()
local readThrough = readState(user)
local from = '(' .. decimal(math.max(readThrough, pruned))
local function visibleAbove(targeted, broadcasts, own)
  return redis.call('ZCOUNT', targeted, from, '+inf') + redis.call('ZCOUNT', broadcasts, from, '+inf')
    - redis.call('ZCOUNT', own, from, '+inf')
end
local count = visibleAbove(targetedKey(user), BROADCASTS, broadcastsByKey(user))
for t in pairs(muted) do
  count = count - visibleAbove(targetedOfTypeKey(t, user), broadcastsOfTypeKey(t), broadcastsByOfTypeKey(t, user))
end
local function counted(id)
  local t = typeOf(id)
  return not (t and muted[t])
end
local reads, archives = readKey(user), archivedKey(user)
if next(muted) == nil then
  count = count - redis.call('ZCOUNT', reads, from, '+inf')
else
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', reads, from, '+inf')) do
    if counted(id) then count = count - 1 end
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', unreadKey(user), '(' .. decimal(pruned), '+inf')) do
  if counted(id) and not redis.call('ZSCORE', archives, id) then count = count + 1 end
end
-- Archived above read-through and not marked read: unread, yet never counted.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', archives, from, '+inf')) do
  if not redis.call('ZSCORE', reads, id) and counted(id) then count = count - 1 end
end
local last = lastIssued()
return { count, last == 0 and '0' or cursorOf(decimal(last), currentEpoch()) }
`);

/**
 * ARGV: namespace, user, id, its epoch, user's channel. Returns 1 and publishes `read` on
 * the user's channel, or returns 0 when the user cannot see that id.
 */
export const MARK_READ = script(`
if not changeable() then return 0 end
markRead(ARGV[2], ARGV[3])
redis.call('PUBLISH', ARGV[5], 'read')
return 1
`);

/**
 * ARGV: namespace, user, id, its epoch, user's channel. Returns 1 and publishes `read` on
 * the user's channel, or returns 0 when the user cannot see that id.
 */
export const MARK_UNREAD = script(`
if not changeable() then return 0 end
local user, id, channel = ARGV[2], ARGV[3], ARGV[5]
if tonumber(id) > number(redis.call('GET', readThroughKey(user))) then
  redis.call('ZREM', readKey(user), id)
else
  redis.call('ZADD', unreadKey(user), id, id)
  noteState(user, id)
end
redis.call('PUBLISH', channel, 'read')
return 1
`);

/**
 * ARGV: namespace, user, id, its epoch, user's channel, '1' to archive (and mark read) or
 * '0' to unarchive. Returns 1 and publishes `read` on the user's channel, or returns 0
 * when the user cannot see that id.
 */
export const SET_ARCHIVED = script(`
if not changeable() then return 0 end
local user, id = ARGV[2], ARGV[3]
if ARGV[6] == '1' then
  markRead(user, id)
  redis.call('ZADD', archivedKey(user), id, id)
  noteState(user, id)
else
  redis.call('ZREM', archivedKey(user), id)
end
redis.call('PUBLISH', ARGV[5], 'read')
return 1
`);

/**
 * ARGV: namespace, user, user's channel. Everything issued so far is read, also what was
 * marked unread; publishes `read` on the user's channel.
 */
export const MARK_ALL_READ = script(`
local user, channel = ARGV[2], ARGV[3]
local key = readThroughKey(user)
local through = math.max(lastIssued(), number(redis.call('GET', key)))
redis.call('SET', key, decimal(through))
redis.call('ZREMRANGEBYSCORE', readKey(user), '-inf', decimal(through))
redis.call('DEL', unreadKey(user))
noteState(user, decimal(through))
redis.call('PUBLISH', channel, 'read')
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
  local route = redis.call('HMGET', key, 'recipient', 'actor', 'type')
  local recipient, actor, type = route[1], route[2], route[3]
  if recipient == BROADCAST then
    redis.call('ZREM', BROADCASTS, id)
    if type then redis.call('ZREM', broadcastsOfTypeKey(type), id) end
    if actor then
      redis.call('ZREM', broadcastsByKey(actor), id)
      if type then redis.call('ZREM', broadcastsByOfTypeKey(type, actor), id) end
    end
  elseif recipient then
    redis.call('ZREM', targetedKey(recipient), id)
    if type then redis.call('ZREM', targetedOfTypeKey(type, recipient), id) end
  end
  redis.call('ZREM', CREATED, id)
  redis.call('DEL', key)
end
redis.call('ZREMRANGEBYSCORE', IDS, '-inf', through)
if tonumber(through) > number(redis.call('GET', PRUNED)) then redis.call('SET', PRUNED, through) end
return { #doomed, #old == batch and 1 or 0 }
`);

/**
 * One bounded step of taking away users' read and archive state of what was pruned.
 * ARGV: namespace, batch. Visits up to batch users whose state may refer to ids at or
 * below pruned-through, removes those entries (and a read-through at or below it, which
 * marks nothing any more), and scores each user again by what is left, or forgets them.
 * Returns 1 when there may be more.
 */
export const PRUNE_STATE_STEP = script(`
local batch = tonumber(ARGV[2])
local pruned = prunedThrough()
local users = redis.call('ZRANGEBYSCORE', STATEFUL, '-inf', decimal(pruned), 'LIMIT', 0, batch)
for _, user in ipairs(users) do
  local lowest = nil
  local function keep(score)
    if lowest == nil or score < lowest then lowest = score end
  end
  for _, key in ipairs({ readKey(user), unreadKey(user), archivedKey(user) }) do
    redis.call('ZREMRANGEBYSCORE', key, '-inf', decimal(pruned))
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    if first[2] then keep(tonumber(first[2])) end
  end
  local through = redis.call('GET', readThroughKey(user))
  if through and tonumber(through) <= pruned then
    redis.call('DEL', readThroughKey(user))
  elseif through then
    keep(tonumber(through))
  end
  if lowest then
    redis.call('ZADD', STATEFUL, decimal(lowest), user)
  else
    redis.call('ZREM', STATEFUL, user)
  end
end
return #users == batch and 1 or 0
`);
