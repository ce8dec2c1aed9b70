// Android library module `org.microlearn`: the generated UniFFI Kotlin (build/generated/uniffi,
// written by ./build-rust.sh), the native libraries (src/main/jniLibs, also from build-rust.sh)
// and the Android adapters in src/main/kotlin. Not built in CI: there is no Android SDK on the
// CI machine; the plain-Kotlin parts (src/main/kotlin/org/microlearn/shell) and the generated
// bindings are compiled and tested on the JVM by tests/suites/30-kotlin.sh instead.
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

android {
    namespace = "org.microlearn"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].java.srcDirs("src/main/kotlin", "build/generated/uniffi")
    sourceSets["main"].jniLibs.srcDirs("src/main/jniLibs")
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

val buildRust by tasks.registering(Exec::class) {
    description = "Builds the Rust core for Android ABIs with cargo-ndk and generates the Kotlin bindings."
    commandLine("bash", "build-rust.sh")
}
tasks.named("preBuild") { dependsOn(buildRust) }

dependencies {
    // JNA >= 5.18.1 on Android (the JVM tests use Debian's 5.13, which is fine there).
    implementation("net.java.dev.jna:jna:5.18.1@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    implementation("androidx.work:work-runtime-ktx:2.10.0")
    implementation("androidx.core:core-ktx:1.15.0")
}
