-- Dovecot passdb/userdb that asks the idmail helper. Every decision is made there;
-- this file only carries the request and maps the answer onto Dovecot's result codes.
local json = require "cjson"

local helper_url
local http_client

local PASSDB = {
  ok = dovecot.auth.PASSDB_RESULT_OK,
  user_unknown = dovecot.auth.PASSDB_RESULT_USER_UNKNOWN,
  password_mismatch = dovecot.auth.PASSDB_RESULT_PASSWORD_MISMATCH,
  user_disabled = dovecot.auth.PASSDB_RESULT_USER_DISABLED,
  tempfail = dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE,
}
local USERDB = {
  ok = dovecot.auth.USERDB_RESULT_OK,
  user_unknown = dovecot.auth.USERDB_RESULT_USER_UNKNOWN,
  tempfail = dovecot.auth.USERDB_RESULT_INTERNAL_FAILURE,
}

function script_init(args)
  helper_url = (args and args.helper_url) or "http://127.0.0.1:8800"
  http_client = dovecot.http.client({
    request_timeout = "10s",
    request_max_attempts = 1,
    user_agent = "dovecot-idmail",
  })
  return 0
end

function script_deinit()
end

local function ask(path, req, password)
  local body = {
    user = req.user,
    protocol = req.protocol,
    mechanism = req.mechanism,
    remote_ip = req.remote_ip,
    local_ip = req.local_ip,
    secured = req.secured,
    session = req.session,
    password = password,
  }
  local request = http_client:request({ url = helper_url .. path, method = "POST" })
  request:add_header("Content-Type", "application/json")
  request:set_payload(json.encode(body))
  local response = request:submit()
  local status = response:status()
  if status ~= 200 then
    return nil, "helper answered HTTP " .. status
  end
  local ok, answer = pcall(json.decode, response:payload())
  if not ok or type(answer) ~= "table" or type(answer.result) ~= "string" then
    return nil, "helper answer is not valid JSON"
  end
  return answer
end

-- Only a success carries fields; any other result carries an error text (or nil), as Dovecot expects.
local function as_result(codes, answer, err)
  if answer == nil then
    return codes.tempfail, err
  end
  local result = codes[answer.result] or codes.tempfail
  if result == codes.ok then
    return result, answer.fields or {}
  end
  if result == codes.tempfail then
    return result, "helper reported a temporary failure (see its log)"
  end
  return result, nil
end

function auth_password_verify(req, password)
  return as_result(PASSDB, ask("/dovecot/passdb/verify", req, password))
end

function auth_passdb_lookup(req)
  return as_result(PASSDB, ask("/dovecot/passdb/lookup", req, nil))
end

function auth_userdb_lookup(req)
  return as_result(USERDB, ask("/dovecot/userdb/lookup", req, nil))
end
