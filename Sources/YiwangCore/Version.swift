public enum YiwangCoreVersion { public static let string = "0.1.0" }
