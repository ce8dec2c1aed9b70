# Sourced: start_catalog_server WORKDIR publishes a sample catalog (300 cards, one media file) with
# `microlearn catalog build` into WORKDIR/www and serves it with nginx (a temp config, a free
# loopback port). Exports
# MICROLEARN_TEST_CATALOG_URL (the index URL), MICROLEARN_TEST_MEDIA_SHA256, MICROLEARN_TEST_WWW. The caller's EXIT
# trap kills WORKDIR/nginx.pid.

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start_catalog_server() {
  local work="$1" port www
  www="$work/www"
  mkdir -p "$www" "$work/nginx"
  port="$(free_port)"
  # A sample catalog: 300 cards, one with a 256 KiB media file (relative URL, verified by hash).
  mkdir -p "$www/catalog/media"
  head -c 262144 /dev/urandom >"$www/catalog/media/clip.bin"
  local sha
  sha="$(sha256sum "$www/catalog/media/clip.bin" | cut -d' ' -f1)"
  {
    printf '{"id":"media-1","title":"Forklift safety video","format":"video","tags":["safety"],"media":[{"url":"media/clip.bin","mime_type":"video/mp4","bytes":262144,"sha256":"%s"}]}\n' "$sha"
    for i in $(seq 1 299); do
      printf '{"id":"card-%d","title":"Refund policy step %d","summary":"How to refund a customer without a receipt, part %d","tags":["refunds"]}\n' "$i" "$i" "$i"
    done
  } >"$work/cards.jsonl"
  target/debug/microlearn catalog build "$work/cards.jsonl" --out "$www/catalog" >/dev/null
  export MICROLEARN_TEST_MEDIA_SHA256="$sha"
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
  # nginx's workers drop to an unprivileged user when started as root: let them read the files.
  chmod a+rx "$work" "$work/nginx"
  chmod -R a+rX "$www"
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -e "$work/nginx/error.log"
  export MICROLEARN_TEST_CATALOG_URL="http://127.0.0.1:$port/catalog/index.json"
  export MICROLEARN_TEST_WWW="$www"
  export MICROLEARN_TEST_BASE_URL="http://127.0.0.1:$port/"
}
