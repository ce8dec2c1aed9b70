// Standalone settings so the module can be opened or included on its own
// (`includeBuild("path/to/microlearn/android")` from an app). Needs the Android SDK.
pluginManagement {
    repositories { google(); mavenCentral(); gradlePluginPortal() }
}
dependencyResolutionManagement {
    repositories { google(); mavenCentral() }
}
rootProject.name = "microlearn-android"
