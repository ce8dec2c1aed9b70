# Sourced: start_catalog_server WORKDIR publishes a sample catalog with `microlearn catalog build`
# into WORKDIR/www and serves it with nginx (a temp config, a free loopback port). Exports
# MICROLEARN_TEST_CATALOG_URL (the catalog's base URL) and MICROLEARN_TEST_WWW. The caller's EXIT
# trap kills WORKDIR/nginx.pid.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_catalog_server() {
  local work="$1" port www
  www="$work/www"
  mkdir -p "$www" "$work/nginx"
  port="$(free_port)"
  if target/debug/microlearn catalog build --help >/dev/null 2>&1; then
    target/debug/microlearn catalog build --sample --out "$www/catalog" >/dev/null 2>&1 ||
      echo "note: 'microlearn catalog build --sample --out' failed; sync tests will be skipped" >&2
  fi
  cat >"$work/nginx/nginx.conf" <<CONF
daemon on;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  types { application/json json; application/x-ndjson jsonl; application/octet-stream bin; }
  server {
    listen 127.0.0.1:$port;
    root $www;
    etag on;
  }
}
CONF
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log"
  export MICROLEARN_TEST_CATALOG_URL="http://127.0.0.1:$port/catalog/"
  export MICROLEARN_TEST_WWW="$www"
  export MICROLEARN_TEST_BASE_URL="http://127.0.0.1:$port/"
}
