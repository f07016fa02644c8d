import Foundation

/// The server-side check of a filled-in application form against the item's schema: every
/// problem at once, field by field, in Chinese; values normalised (codes upper-cased, numbers as
/// numbers, hidden fields dropped), so what is stored is what was checked.
extension FormSchema {
    public struct Checked: Sendable, Equatable {
        public var values: [String: JSONValue]
        public var problems: [FieldError]

        public var isValid: Bool { problems.isEmpty }
    }

    /// `requireAll: false` checks a draft: what is there must be right, what is missing may follow.
    public func check(_ submitted: [String: JSONValue], today: LocalDate? = nil, requireAll: Bool = true) -> Checked {
        var values: [String: JSONValue] = [:]
        var problems: [FieldError] = []
        let known = Set(fields.map(\.key))
        for key in submitted.keys.sorted() where !known.contains(key) {
            problems.append(FieldError(field: "form/\(String(key.prefix(60)))", message: "表单中没有“\(String(key.prefix(60)))”这一项。"))
        }
        for field in fields {
            if let condition = field.visibleWhen, submitted[condition.field]?.scalarText != condition.equals { continue }
            let path = "form/\(field.key)"
            let raw = submitted[field.key] ?? .null
            let text = raw.scalarText?.trimmingCharacters(in: .whitespacesAndNewlines)
            if raw == .null || text == "" {
                if requireAll && field.required && field.type != .checkbox { problems.append(FieldError(field: path, message: "请填写“\(field.label)”。")) }
                continue
            }
            guard let text else {
                problems.append(FieldError(field: path, message: "“\(field.label)”应为单个值。"))
                continue
            }
            switch Self.value(of: field, raw: raw, text: text, today: today) {
            case .success(let value): values[field.key] = value
            case .failure(let message): problems.append(FieldError(field: path, message: "“\(field.label)”" + message))
            }
        }
        return Checked(values: values, problems: problems)
    }

    /// The values as pages and answers show them: ID and phone numbers (and a 个体工商户's credit
    /// code) masked, everything else as given.
    public func masked(_ values: [String: JSONValue]) -> [String: JSONValue] {
        var shown = values
        for field in fields {
            guard case .string(let text)? = values[field.key] else { continue }
            switch field.type {
            case .idNumber: shown[field.key] = .string(PersonalData.mask(text, as: .idNumber))
            case .phone: shown[field.key] = .string(PersonalData.mask(text, as: .phone))
            case .creditCode where PersonalData.isNaturalPersonBusiness(text): shown[field.key] = .string(PersonalData.mask(text, as: .creditCode))
            default: break
            }
        }
        return shown
    }

    enum Outcome {
        case success(JSONValue)
        case failure(String)
    }

    static func value(of field: FormField, raw: JSONValue, text: String, today: LocalDate?) -> Outcome {
        switch field.type {
        case .text, .textarea, .address:
            let limit = field.maxLength ?? (field.type == .textarea ? 2000 : 200)
            if text.count > limit { return .failure("不能超过\(limit)个字。") }
            let allowed: (Unicode.Scalar) -> Bool = { $0.properties.generalCategory != .control || (field.type == .textarea && $0 == "\n") }
            if !text.unicodeScalars.allSatisfy(allowed) { return .failure("含有不可见的控制字符。") }
            return .success(.string(text))
        case .number:
            guard let number = Double(text), number.isFinite else { return .failure("应为数字。") }
            if let minimum = field.minimum, number < minimum { return .failure("不能小于\(Self.format(minimum))。") }
            if let maximum = field.maximum, number > maximum { return .failure("不能大于\(Self.format(maximum))。") }
            return .success(number == number.rounded() && abs(number) < 1e15 ? .int(Int(number)) : .double(number))
        case .date:
            guard let date = try? LocalDate(text) else { return .failure("应为有效日期(YYYY-MM-DD)。") }
            return .success(.string(date.description))
        case .select:
            guard field.options.contains(text) else { return .failure("应从给定选项中选择。") }
            return .success(.string(text))
        case .checkbox:
            switch text.lowercased() {
            case "true", "on", "1", "yes": return .success(.bool(true))
            case "false", "off", "0", "no": return .success(.bool(false))
            default: return .failure("应为是或否。")
            }
        case .idNumber:
            do { return .success(.string(try ResidentIDNumber(text, today: today?.startOfDayInChina).value)) } catch { return .failure("：" + error.message) }
        case .creditCode:
            do { return .success(.string(try CreditCode(text).value)) } catch { return .failure("：" + error.message) }
        case .phone:
            if let mobile = try? MobileNumber(text) { return .success(.string(mobile.value)) }
            // Landlines: area code and number, digits and one dash (0851-85551234).
            let digits = text.filter(\.isNumber)
            if text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), (10...12).contains(digits.count), text.first == "0" {
                return .success(.string(text))
            }
            return .failure("应为11位手机号码或带区号的固定电话。")
        case .email:
            guard let address = try? EmailAddress(text) else { return .failure("应为有效的电子邮箱地址。") }
            return .success(.string(address.value))
        }
    }

    /// A bound as people write it: whole numbers without ".0" (and no conversion that could
    /// trap on a bound as large as 1e20).
    static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}

extension LocalDate {
    /// The first instant of this day in China time.
    public var startOfDayInChina: Date {
        ChinaTime.calendar.date(from: DateComponents(year: year, month: month, day: day)) ?? Date(timeIntervalSince1970: 0)
    }
}
