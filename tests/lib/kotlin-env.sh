# Sourced by tests/suites/30-kotlin.sh and tests/bench-ffi: where the Kotlin toolchain and jars
# are (installed by tests/setup.d/30-kotlin.sh), and how to generate the Kotlin bindings.
KOTLIN_VERSION="${MICROLEARN_KOTLIN_VERSION:-2.4.20}"
TOOLS="${MICROLEARN_TOOLS:-$HOME/.cache/microlearn-tools}"
KLIB="$TOOLS/kotlin-compiler-$KOTLIN_VERSION/package/lib"
KOTLINC="$TOOLS/kotlin-compiler-$KOTLIN_VERSION/package/bin/kotlinc"
if [ ! -x "$KOTLINC" ]; then
  echo "kotlinc not found at $KOTLINC: run tests/setup.d/30-kotlin.sh" >&2
  exit 1
fi
JNA_JAR=/usr/share/java/jna.jar
COROUTINES_JAR="$KLIB/kotlinx-coroutines-core-jvm.jar"
KOTLIN_STDLIB="$KLIB/kotlin-stdlib.jar"
KOTLIN_TEST_CP="$KLIB/kotlin-test.jar:$KLIB/kotlin-test-junit.jar"
JUNIT_CP="/usr/share/java/junit4.jar:$(ls /usr/share/java/hamcrest-core.jar /usr/share/java/hamcrest.jar 2>/dev/null | head -1)"

# generate_kotlin PROFILE_DIR OUT_DIR: Kotlin sources from the built library (library mode).
generate_kotlin() {
  rm -rf "$2"
  "target/debug/uniffi-bindgen" generate --no-format --library "$1/libmicrolearn_ffi.so" \
    --language kotlin --out-dir "$2" >/dev/null
}
