import Foundation
import XCTest
import YiwangCore

final class FormValidationTests: XCTestCase {
    let schema = FormSchema(fields: [
        FormField(key: "name", label: "经营者姓名", type: .text, maxLength: 20),
        FormField(key: "idNumber", label: "身份证号码", type: .idNumber),
        FormField(key: "creditCode", label: "统一社会信用代码", type: .creditCode, required: false),
        FormField(key: "area", label: "经营面积(平方米)", type: .number, minimum: 1, maximum: 10_000),
        FormField(key: "opening", label: "开业日期", type: .date),
        FormField(key: "kind", label: "经营类别", type: .select, options: ["餐饮服务", "食品销售"]),
        FormField(key: "hasKitchen", label: "是否有后厨", type: .checkbox, required: false),
        FormField(key: "kitchenArea", label: "后厨面积", type: .number, visibleWhen: FieldCondition(field: "hasKitchen", equals: "true")),
        FormField(key: "phone", label: "联系电话", type: .phone),
        FormField(key: "email", label: "电子邮箱", type: .email, required: false),
        FormField(key: "note", label: "备注", type: .textarea, required: false),
    ])

    func testAGoodFormIsNormalised() {
        let checked = schema.check([
            "name": .string(" 王芳 "), "idNumber": .string("11010519491231002x"), "area": .string("35"), "opening": .string("2026-12-01"),
            "kind": .string("餐饮服务"), "hasKitchen": .bool(true), "kitchenArea": .int(12), "phone": .string("0851-85551234"),
            "email": .string("Wang@Example.cn"), "note": .string("第一行\n第二行"),
        ])
        XCTAssertEqual(checked.problems, [])
        XCTAssertEqual(checked.values["name"], .string("王芳"))
        XCTAssertEqual(checked.values["idNumber"], .string("11010519491231002X"))
        XCTAssertEqual(checked.values["area"], .int(35))
        XCTAssertEqual(checked.values["hasKitchen"], .bool(true))
        XCTAssertEqual(checked.values["email"], .string("wang@example.cn"))
    }

    func testEveryProblemIsReportedAtOnce() {
        let checked = schema.check([
            "name": .string(String(repeating: "王", count: 21)), "idNumber": .string("110105194912310021"), "area": .string("0"),
            "opening": .string("2026-02-30"), "kind": .string("娱乐"), "phone": .string("12345"), "email": .string("not-an-email"),
            "hasKitchen": .string("maybe"), "extra": .string("x"), "note": .array([.string("a")]),
        ])
        let fields = Set(checked.problems.map(\.field))
        XCTAssertEqual(fields, ["form/name", "form/idNumber", "form/area", "form/opening", "form/kind", "form/phone", "form/email", "form/hasKitchen", "form/extra", "form/note"])
        XCTAssertTrue(checked.problems.allSatisfy { $0.message.unicodeScalars.contains { $0.value >= 0x4E00 } })
        XCTAssertTrue(checked.problems.contains { $0.message.contains("校验位") })
    }

    func testRequiredAndHiddenFields() {
        let checked = schema.check(["hasKitchen": .bool(false), "kitchenArea": .int(50)])
        let missing = Set(checked.problems.map(\.field))
        XCTAssertTrue(missing.isSuperset(of: ["form/name", "form/idNumber", "form/area", "form/opening", "form/kind", "form/phone"]))
        XCTAssertFalse(missing.contains("form/kitchenArea"), "a hidden field is not asked for")
        XCTAssertFalse(missing.contains("form/creditCode"), "optional")
        XCTAssertNil(checked.values["kitchenArea"], "a hidden field's value is dropped")
        let shown = schema.check(["hasKitchen": .bool(true)])
        XCTAssertTrue(shown.problems.contains { $0.field == "form/kitchenArea" }, "shown when its condition holds")
    }

    func testPersonalValuesAreMaskedForDisplay() {
        let checked = schema.check([
            "name": .string("王芳"), "idNumber": .string("11010519491231002X"), "area": .int(35), "opening": .string("2026-12-01"),
            "kind": .string("餐饮服务"), "phone": .string("13812345678"), "creditCode": .string("92520102MA6J000029"),
        ])
        XCTAssertEqual(checked.problems, [])
        let shown = schema.masked(checked.values)
        XCTAssertEqual(shown["idNumber"], .string("1101**********002X"))
        XCTAssertEqual(shown["phone"], .string("138****5678"))
        XCTAssertEqual(shown["creditCode"], .string("92520102********29"))
        XCTAssertEqual(shown["name"], .string("王芳"), "names stay readable")
    }

    func testBirthDatesInTheFutureAreRefusedWhenTodayIsKnown() {
        let form = FormSchema(fields: [FormField(key: "id", label: "身份证号码", type: .idNumber)])
        let first17 = Array("11010520300101001")
        let number = String(first17) + String(ResidentIDNumber.checkCharacter(forFirst17: first17)!)
        XCTAssertTrue(form.check(["id": .string(number)]).isValid)
        XCTAssertFalse(form.check(["id": .string(number)], today: try! LocalDate("2026-11-22")).isValid)
    }
}
