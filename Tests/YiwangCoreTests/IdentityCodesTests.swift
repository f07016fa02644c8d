import XCTest
import YiwangCore

final class IdentityCodesTests: XCTestCase {
    // MARK: Helpers

    /// The DomainError code a throwing call produced, nil when it succeeded.
    private func errorCode<T>(_ body: () throws -> T) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? DomainError)?.code ?? "not a DomainError: \(error)"
        }
    }

    /// An ID number whose check character is right, so only the parts under test can be wrong.
    private func idNumber(region: String = "110105", birth: String, sequence: String = "001") -> String {
        let first17 = region + birth + sequence
        // "?" would make the test fail loudly if the helper were misused with non-digits.
        let check = ResidentIDNumber.checkCharacter(forFirst17: Array(first17)) ?? "?"
        return first17 + String(check)
    }

    private func chinaDay(_ text: String) throws -> Date {
        try XCTUnwrap(ChinaTime.startOfDay(text), text)
    }

    // MARK: ResidentIDNumber — valid numbers

    func testPublishedSampleNumbersValidate() throws {
        // The GB 11643 sample (check character X) and a birth date in the earliest accepted year.
        XCTAssertEqual(try ResidentIDNumber("11010519491231002X").value, "11010519491231002X")
        XCTAssertEqual(try ResidentIDNumber("440524188001010014").value, "440524188001010014")
        XCTAssertTrue(ResidentIDNumber.isValid("11010519491231002X"))
    }

    func testLowerCaseXAndSurroundingSpacesAreNormalised() throws {
        XCTAssertEqual(try ResidentIDNumber("11010519491231002x").value, "11010519491231002X")
        XCTAssertEqual(try ResidentIDNumber("  11010519491231002X \n").value, "11010519491231002X")
        XCTAssertEqual(try ResidentIDNumber("\t11010519491231002x ").value, "11010519491231002X")
    }

    func testCheckCharacterFollowsMod11_2() {
        XCTAssertEqual(ResidentIDNumber.checkCharacter(forFirst17: Array("11010519491231002")), "X")
        XCTAssertEqual(ResidentIDNumber.checkCharacter(forFirst17: Array("44052418800101001")), "4")
        // Only 17 ASCII digits have a check character.
        XCTAssertNil(ResidentIDNumber.checkCharacter(forFirst17: Array("1101051949123100")))
        XCTAssertNil(ResidentIDNumber.checkCharacter(forFirst17: Array("110105194912310021")))
        XCTAssertNil(ResidentIDNumber.checkCharacter(forFirst17: Array("1101051949123100A")))
    }

    func testAccessorsAndMaskedDescription() throws {
        let number = try ResidentIDNumber("11010519491231002X")
        XCTAssertEqual(number.birthDate, "1949-12-31")
        XCTAssertEqual(number.regionCode, "110105")
        // Printing a number (logs, string interpolation) never shows it whole.
        XCTAssertEqual(number.description, "1101**********002X")
        XCTAssertEqual("\(number)", "1101**********002X")
    }

    func testLeapDayIsAValidBirthDate() throws {
        let leap = idNumber(birth: "20000229")
        XCTAssertEqual(leap, "110105200002290013")
        XCTAssertEqual(try ResidentIDNumber(leap).birthDate, "2000-02-29")
    }

    func testCodableRoundTripValidatesOnDecode() throws {
        let number = try ResidentIDNumber("11010519491231002X")
        let data = try JSONEncoder().encode([number])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), "[\"11010519491231002X\"]")
        XCTAssertEqual(try JSONDecoder().decode([ResidentIDNumber].self, from: Data("[\"11010519491231002x\"]".utf8)), [number])
        // A stored or posted number is checked like a typed one.
        XCTAssertThrowsError(try JSONDecoder().decode([ResidentIDNumber].self, from: Data("[\"110105194912310021\"]".utf8)))
    }

    // MARK: ResidentIDNumber — invalid numbers

    func testWrongCheckCharacterIsRejected() {
        // The correct check character of the sample is X; every other one must fail.
        for last in ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] {
            XCTAssertEqual(errorCode { try ResidentIDNumber("11010519491231002" + last) }, "code.id_number_check", last)
        }
        XCTAssertEqual(errorCode { try ResidentIDNumber("440524188001010015") }, "code.id_number_check")
        XCTAssertFalse(ResidentIDNumber.isValid("440524188001010015"))
    }

    func testWrongLengthIsRejected() {
        for raw in ["", "11010519491231002", "11010519491231002X0", "110105194912310020X", "110105 19491231002X"] {
            XCTAssertEqual(errorCode { try ResidentIDNumber(raw) }, "code.id_number_length", raw)
        }
    }

    func testLettersAreOnlyAllowedAsTrailingX() {
        let cases = [
            "1101051949123100AX",  // a letter among the first 17
            "11010519491231X02X",  // X in the middle
            "X10105194912310021",  // X at the front
            "11010519491231002Y",  // a last character that is neither digit nor X
            "１10105194912310021",  // a full-width digit is not an ASCII digit
            "11010519491231002-",
        ]
        for raw in cases {
            XCTAssertEqual(errorCode { try ResidentIDNumber(raw) }, "code.id_number_character", raw)
        }
    }

    func testImpossibleBirthDatesAreRejectedEvenWithACorrectCheckCharacter() {
        // Each number carries a correctly computed check character, so only the date is wrong.
        for birth in ["19900230", "20230229", "19000229", "19491301", "19491200", "19490132", "18791231", "00000000"] {
            let raw = idNumber(birth: birth)
            XCTAssertEqual(errorCode { try ResidentIDNumber(raw) }, "code.id_number_birth_date", raw)
        }
    }

    func testBirthDateAfterTodayIsRejected() throws {
        let today = try chinaDay("2026-06-01")
        XCTAssertEqual(errorCode { try ResidentIDNumber(idNumber(birth: "20300101"), today: today) }, "code.id_number_birth_date")
        XCTAssertEqual(errorCode { try ResidentIDNumber(idNumber(birth: "20260602"), today: today) }, "code.id_number_birth_date")
        // A baby registered on the day it is born is fine; so is any earlier day.
        XCTAssertNil(errorCode { try ResidentIDNumber(idNumber(birth: "20260601"), today: today) })
        XCTAssertNil(errorCode { try ResidentIDNumber(idNumber(birth: "20260531"), today: today) })
        XCTAssertNil(errorCode { try ResidentIDNumber("11010519491231002X", today: today) })
    }

    // MARK: MobileNumber

    func testMobileNumbersNormalise() throws {
        XCTAssertEqual(try MobileNumber("13812345678").value, "13812345678")
        XCTAssertEqual(try MobileNumber("+8613812345678").value, "13812345678")
        XCTAssertEqual(try MobileNumber("+86 138 1234 5678").value, "13812345678")
        XCTAssertEqual(try MobileNumber("138-1234-5678").value, "13812345678")
        XCTAssertEqual(try MobileNumber(" 19912345678 ").value, "19912345678")
    }

    func testMalformedMobileNumbersAreRejected() {
        let cases = [
            "138123456789",  // 12 digits
            "1381234567",  // 10 digits
            "12812345678",  // 12x is not a mobile prefix
            "10812345678",
            "23812345678",  // must start with 1
            "1381234567a",
            "+8513812345678",  // another country code
            "8613812345678",  // country code without the plus
            "",
        ]
        for raw in cases {
            XCTAssertEqual(errorCode { try MobileNumber(raw) }, "code.mobile_number", raw)
        }
    }

    // MARK: PersonalData

    func testMaskShowsEnoughToRecogniseNeverEnoughToUse() {
        XCTAssertEqual(PersonalData.mask("11010519491231002X", as: .idNumber), "1101**********002X")
        XCTAssertEqual(PersonalData.mask("13812345678", as: .phone), "138****5678")
        XCTAssertEqual(PersonalData.mask("92520102MA6H3K7P1X", as: .creditCode), "92520102********1X")
        XCTAssertEqual(PersonalData.mask("张三", as: .name), "张*")
        XCTAssertEqual(PersonalData.mask("欧阳修文", as: .name), "欧***")
        // A one-character name still gets a star, so the mask does not reveal the name is complete.
        XCTAssertEqual(PersonalData.mask("张", as: .name), "张*")
        XCTAssertEqual(PersonalData.mask("", as: .name), "")
    }

    func testMaskOfAValueTooShortToKeepAnythingHidesItAll() {
        XCTAssertEqual(PersonalData.mask("1234567", as: .phone), "*******")
        XCTAssertEqual(PersonalData.mask("12345678", as: .idNumber), "********")
        XCTAssertEqual(PersonalData.mask("", as: .idNumber), "")
    }

    func testNaturalPersonBusinessesAreRecognisedByTheirCreditCode() {
        // 个体工商户 codes start with 92 and embody a person; other codes belong to organisations.
        XCTAssertTrue(PersonalData.isNaturalPersonBusiness("92520102MA6H3K7P1X"))
        XCTAssertFalse(PersonalData.isNaturalPersonBusiness("91350100M000100Y43"))
        XCTAssertFalse(PersonalData.isNaturalPersonBusiness("11100000000013338W"))
    }
}

final class NamesAndVocabularyTests: XCTestCase {
    func testNamesFollowTheRegistrationRules() throws {
        XCTAssertEqual(try Names.person(" 欧阳娜娜 "), "欧阳娜娜")
        XCTAssertEqual(try Names.person("阿依古丽·买买提"), "阿依古丽·买买提")
        for bad in ["张", "张3", "<b>王</b>", String(repeating: "王", count: 41)] {
            XCTAssertThrowsError(try Names.person(bad), bad)
        }
        XCTAssertEqual(try Names.organisation("贵阳云数科技有限公司"), "贵阳云数科技有限公司")
        XCTAssertThrowsError(try Names.organisation("A"))
        XCTAssertEqual(try Names.staffAccount(" Market.Clerk "), "market.clerk")
        XCTAssertThrowsError(try Names.staffAccount("窗口"))
    }

    func testAuditCodesReadInChinese() {
        XCTAssertEqual(AuditVocabulary.action("auth.signIn"), "登录")
        XCTAssertEqual(AuditVocabulary.action("case.accept"), "办件受理")
        XCTAssertEqual(AuditVocabulary.action("catalog.publish"), "事项发布")
        XCTAssertEqual(AuditVocabulary.action("something.new"), "something.new", "unknown codes are shown as they are")
        XCTAssertEqual(AuditVocabulary.channel("kiosk"), "自助终端")
        XCTAssertEqual(AuditVocabulary.roles("approver,windowClerk"), "后台审批人员、综合窗口人员")
        XCTAssertNil(AuditVocabulary.roles(nil))
    }
}
