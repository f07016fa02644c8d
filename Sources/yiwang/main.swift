import Foundation
import Logging
import Vapor
import YiwangServer

/// `yiwang serve | migrate | seed --demo | export | import | lint-catalog | bench` — see README.
var environment = try Environment.detect()
if !JSONLogHandler.bootstrapIfAsked() { try LoggingSystem.bootstrap(from: &environment) }
let app = try await Application.make(environment)
var status: Int32 = 0
do {
    let settings = try Settings.fromEnvironment()
    try await configure(app, settings: settings)
    try await prepareForCommand(app, arguments: environment.arguments)
    try await app.execute()
    await finishCommand(app, arguments: environment.arguments)
} catch let error as ConfigurationError {
    app.logger.critical("\(error.description)")
    status = 78
} catch let error as ExitCode {
    status = error.code
} catch {
    app.logger.critical("\(String(reflecting: error))")
    status = 1
}
try await app.asyncShutdown()
exit(status)
