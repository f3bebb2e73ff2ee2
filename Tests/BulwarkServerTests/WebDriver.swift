import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Headless Chromium driven over W3C WebDriver, through Debian's `chromium-driver`: a real browser
/// for the console's tests (cookies, CSP, scripts, CSS, keyboard), no mock DOM.
///
/// `scripts/test.sh` installs `chromium` and `chromium-driver` and sets
/// `BULWARK_BROWSER_TESTS=required`, so under the README's test command a missing browser fails the
/// suite; a bare `swift test` on a machine without them skips the browser tests.
final class WebDriver {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let chromium = "/usr/bin/chromium"
    static let driver = "/usr/bin/chromedriver"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: driver)
    }
    static var required: Bool { ProcessInfo.processInfo.environment["BULWARK_BROWSER_TESTS"] == "required" }
    static var enabled: Bool { available || required }

    /// The W3C key codes the tests press.
    enum Key {
        static let tab = "\u{E004}"
        static let enter = "\u{E007}"
        static let control = "\u{E009}"
    }

    let process: Process
    let endpoint: String
    let session: String

    /// Starts chromedriver on a free loopback port and opens a headless Chromium session.
    static func start(width: Int = 1280, height: Int = 900) async throws -> WebDriver {
        guard available else {
            throw Failure(description: "\(driver) or \(chromium) is missing: apt-get install chromium chromium-driver")
        }
        var lastError: any Error = Failure(description: "chromedriver did not start")
        for _ in 0..<5 {
            let port = try freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: driver)
            process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-level=SEVERE"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let endpoint = "http://127.0.0.1:\(port)"
            do {
                try await waitUntilReady(endpoint)
                let capabilities: [String: Any] = [
                    "capabilities": [
                        "alwaysMatch": [
                            "browserName": "chrome",
                            "goog:chromeOptions": [
                                "binary": chromium,
                                "args": [
                                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                    "--window-size=\(width),\(height)", "--lang=en-GB", "--no-first-run",
                                    "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                                ],
                            ],
                        ]
                    ]
                ]
                let value = try await request(.POST, endpoint + "/session", capabilities)
                guard let id = (value as? [String: Any])?["sessionId"] as? String else {
                    throw Failure(description: "no session id in \(String(describing: value))")
                }
                return WebDriver(process: process, endpoint: endpoint, session: id)
            } catch {
                await WebDriver(process: process, endpoint: endpoint, session: "none").quit()
                lastError = error
            }
        }
        throw lastError
    }

    private init(process: Process, endpoint: String, session: String) {
        self.process = process
        self.endpoint = endpoint
        self.session = session
    }

    /// Runs `body` with a fresh browser, which is closed afterwards whether `body` threw or not.
    static func withBrowser<T>(width: Int = 1280, height: Int = 900, _ body: (WebDriver) async throws -> T)
        async throws -> T
    {
        let driver = try await start(width: width, height: height)
        do {
            let result = try await body(driver)
            await driver.quit()
            return result
        } catch {
            await driver.quit()
            throw error
        }
    }

    /// Closes the browser and stops the driver, without blocking a thread of the concurrency
    /// pool (`waitUntilExit` would, and two of them on a 2-core machine stall every test).
    func quit() async {
        _ = try? await Self.request(.DELETE, "\(endpoint)/session/\(session)", nil)
        process.terminate()
        for _ in 0..<100 where process.isRunning { try? await Task.sleep(nanoseconds: 50_000_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private var base: String { "\(endpoint)/session/\(session)" }

    // MARK: Navigation and elements

    func go(_ url: String) async throws { _ = try await Self.request(.POST, base + "/url", ["url": url]) }

    func currentURL() async throws -> String { try await Self.request(.GET, base + "/url", nil) as? String ?? "" }

    /// The element a CSS selector finds first; throws naming the selector when there is none.
    func find(_ css: String) async throws -> String {
        let value = try await Self.request(.POST, base + "/element", ["using": "css selector", "value": css])
        guard let element = (value as? [String: Any])?.values.first as? String else {
            throw Failure(description: "no element matches \(css)")
        }
        return element
    }

    func findAll(_ css: String) async throws -> [String] {
        let value = try await Self.request(.POST, base + "/elements", ["using": "css selector", "value": css])
        return (value as? [[String: Any]] ?? []).compactMap { $0.values.first as? String }
    }

    func click(_ element: String) async throws {
        _ = try await Self.request(.POST, base + "/element/\(element)/click", [String: Any]())
    }

    func type(_ element: String, _ text: String) async throws {
        _ = try await Self.request(.POST, base + "/element/\(element)/value", ["text": text])
    }

    /// Presses keys on whatever has the focus, as a person at the keyboard does (no element named).
    /// A key in `held` (Control, say) stays down while the others are pressed.
    func press(_ keys: String, holding held: String? = nil) async throws {
        var actions: [[String: Any]] = []
        if let held { actions.append(["type": "keyDown", "value": held]) }
        for scalar in keys.unicodeScalars {
            actions.append(["type": "keyDown", "value": String(scalar)])
            actions.append(["type": "keyUp", "value": String(scalar)])
        }
        if let held { actions.append(["type": "keyUp", "value": held]) }
        let body: [String: Any] = ["actions": [["type": "key", "id": "keyboard", "actions": actions]]]
        _ = try await Self.request(.POST, base + "/actions", body)
        _ = try await Self.request(.DELETE, base + "/actions", nil)
    }

    /// Runs a script in the page (WebDriver's own channel, not subject to the page's CSP).
    func execute(_ script: String, _ args: [Any] = []) async throws -> Any? {
        try await Self.request(.POST, base + "/execute/sync", ["script": script, "args": args])
    }

    /// Runs a script that calls its last argument when done.
    func executeAsync(_ script: String, _ args: [Any] = []) async throws -> Any? {
        _ = try await Self.request(.POST, base + "/timeouts", ["script": 60_000])
        return try await Self.request(.POST, base + "/execute/async", ["script": script, "args": args])
    }

    /// Waits up to `seconds` for a script to return true.
    func wait(_ what: String, seconds: Double = 10, until script: String) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await execute(script) as? Bool == true { return }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        let at = try? await execute("return location.href + ': ' + document.body.innerText.slice(0, 400);")
        throw Failure(description: "timed out after \(seconds) s waiting for \(what); the page: \(at as? String ?? "?")")
    }

    /// A PNG of the viewport.
    func screenshot() async throws -> Data {
        guard let text = try await Self.request(.GET, base + "/screenshot", nil) as? String,
            let png = Data(base64Encoded: text)
        else { throw Failure(description: "no screenshot") }
        return png
    }

    /// A PNG of the whole page, as tall as its content (at most `maxHeight` pixels).
    func fullPageScreenshot(width: Int = 1280, maxHeight: Int = 2400) async throws -> Data {
        let height = try await execute("return Math.ceil(document.documentElement.scrollHeight);") as? Int ?? 900
        _ = try await Self.request(
            .POST, base + "/window/rect", ["width": width, "height": min(max(height, 600), maxHeight) + 140])
        let png = try await screenshot()
        _ = try await Self.request(.POST, base + "/window/rect", ["width": width, "height": 900])
        return png
    }

    // MARK: Accessibility

    /// axe-core's WCAG 2.x A and AA rules on the current page: the violations, one line each
    /// (rule, count, help, first offending node). axe-core comes from the installed PyPI package
    /// `axe-playwright-python` (its bundled `axe.min.js`), found through Python at run time.
    func accessibilityViolations() async throws -> [String] {
        let axe = try Self.axeSource()
        _ = try await execute(axe + "\nreturn true;")
        let result = try await executeAsync(
            """
            var done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
              .then(function (r) {
                done(r.violations.map(function (v) {
                  return v.id + ' (' + v.nodes.length + '): ' + v.help + ' at ' + v.nodes[0].html.slice(0, 160);
                }));
              }, function (e) { done(['axe failed: ' + e]); });
            """)
        return result as? [String] ?? ["axe returned \(String(describing: result))"]
    }

    static func axeSource() throws -> String { try axe.get() }

    /// Read once per test process.
    private static let axe: Result<String, Failure> = Result { () throws(Failure) -> String in
        let finder = Process()
        finder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        finder.arguments = [
            "python3", "-c",
            "import importlib.util, os; s = importlib.util.find_spec('axe_playwright_python'); print(os.path.join(os.path.dirname(s.origin), 'axe.min.js') if s else '')",
        ]
        let pipe = Pipe()
        finder.standardOutput = pipe
        do { try finder.run() } catch { throw Failure(description: "python3 did not run: \(error)") }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        finder.waitUntilExit()
        let path = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !path.isEmpty, let source = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Failure(
                description: "axe-core not found: pip install --no-deps axe-playwright-python (scripts/setup.sh --browser)")
        }
        return source
    }

    // MARK: Wire

    private static func waitUntilReady(_ endpoint: String) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let status = try? await request(.GET, endpoint + "/status", nil) as? [String: Any],
                status["ready"] as? Bool == true
            {
                return
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw Failure(description: "chromedriver at \(endpoint) was not ready within 10 s")
    }

    /// One WebDriver command: JSON in, the response's `value` out; a WebDriver error is thrown
    /// with its message.
    private static func request(_ method: HTTPMethod, _ url: String, _ body: Any?) async throws -> Any? {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        if let body {
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView), options: [.fragmentsAllowed])
        let value = (object as? [String: Any])?["value"]
        if response.status.code >= 400 {
            let error = value as? [String: Any]
            throw Failure(
                description:
                    "WebDriver \(method) \(url): \(error?["error"] ?? response.status.code): \(String(describing: error?["message"] ?? ""))"
            )
        }
        return value is NSNull ? nil : value
    }

    /// A loopback port nobody listens on now.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
