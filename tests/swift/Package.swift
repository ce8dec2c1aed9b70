// swift-tools-version:5.9
// The Swift FFI tests and bench (tests/suites/40-swift.sh, tests/bench-ffi-swift): XCTest through
// the real library, over the ios/ package built for Linux (ios/build-linux.sh generates its
// bindings; libmicrolearn_ffi.so comes from LIBRARY_PATH / LD_LIBRARY_PATH).
import PackageDescription

let package = Package(
    name: "MicrolearnSwiftTests",
    dependencies: [.package(path: "../../ios")],
    targets: [
        .testTarget(
            name: "MicrolearnTests",
            dependencies: [.product(name: "Microlearn", package: "ios")],
            path: "Tests/MicrolearnTests"),
        .executableTarget(
            name: "FfiBench",
            dependencies: [.product(name: "Microlearn", package: "ios")],
            path: "Sources/FfiBench"),
    ]
)
