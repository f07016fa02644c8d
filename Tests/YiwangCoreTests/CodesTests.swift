import XCTest
import YiwangCore
import YiwangTestSupport

final class CodesTests: XCTestCase {
    func testCreditCodesFromTheStandardValidate() throws {
        for code in ["91350100M000100Y43", "11100000000013127D", "11100000000013338W", "11650000010183859F",
                     "91110108551385082Q", "11430000006122244L", "113700000045046442", "11420503087246977F", "11100000MB0341032Y"] {
            XCTAssertNoThrow(try CreditCode(code), code)
        }
    }

    func testCreditCodeCheckCharacterIsComputedPerStandard() {
        // 91350100M000100Y4 sums to 1640; 1640 mod 31 = 28; 31 − 28 = 3.
        XCTAssertEqual(CreditCode.checkCharacter(forFirst17: Array("91350100M000100Y4")), "3")
    }

    func testCreditCodeRejectsWrongCheckLengthAndLetters() {
        XCTAssertThrowsError(try CreditCode("91350100M000100Y44")) { error in
            XCTAssertEqual((error as? DomainError)?.code, "code.credit_code_check")
        }
        XCTAssertThrowsError(try CreditCode("91350100M000100Y4")) { error in
            XCTAssertEqual((error as? DomainError)?.code, "code.credit_code_length")
        }
        // I, O, S, V and Z are never used.
        XCTAssertThrowsError(try CreditCode("91350100M0001O0Y43")) { error in
            XCTAssertEqual((error as? DomainError)?.code, "code.credit_code_character")
        }
    }

    func testCreditCodeNormalisesLowerCaseAndSpaces() throws {
        XCTAssertEqual(try CreditCode(" 91350100m000100y43 ").value, "91350100M000100Y43")
        XCTAssertEqual(try CreditCode("11100000000013338W").regionCode, "100000")
    }

    func testBaseCodeStructure() throws {
        let code = try BaseCode("650116013001")
        XCTAssertEqual(code.regionPart, "65")
        XCTAssertEqual(code.type, .license)
        XCTAssertEqual(code.mainItem, "16013")
        XCTAssertEqual(code.subItem, "001")
        XCTAssertNoThrow(try BaseCode("00012200300Y"))
        XCTAssertNoThrow(try BaseCode("002022A01000"))
    }

    func testBaseCodeRejectsBadParts() {
        let cases: [(String, String)] = [
            ("65011601300", "code.base_code_length"),
            ("AB0116013001", "code.base_code_region"),
            ("659916013001", "code.base_code_type"),
            ("6501160I3001", "code.base_code_main"),
            ("6501160130X1", "code.base_code_sub"),
        ]
        for (raw, expected) in cases {
            XCTAssertThrowsError(try BaseCode(raw), raw) { error in
                XCTAssertEqual((error as? DomainError)?.code, expected, raw)
            }
        }
    }

    func testRealImplementationCodeSplitsIntoItsParts() throws {
        let code = try ImplementationCode("11650000010183859F2650116013001")
        XCTAssertEqual(code.creditCode.value, "11650000010183859F")
        XCTAssertEqual(code.level, .provincial)
        XCTAssertEqual(code.baseCode.value, "650116013001")
    }

    func testImplementationCodeRejectsBadLevelAndBadCredit() {
        XCTAssertThrowsError(try ImplementationCode("11650000010183859F8650116013001")) { error in
            XCTAssertEqual((error as? DomainError)?.code, "code.implementation_code_level")
        }
        XCTAssertThrowsError(try ImplementationCode("11650000010183859E2650116013001")) { error in
            XCTAssertEqual((error as? DomainError)?.code, "code.credit_code_check")
        }
        XCTAssertThrowsError(try ImplementationCode("11650000010183859F265011601300")) { error in
            XCTAssertEqual((error as? DomainError)?.code, "code.implementation_code_length")
        }
    }

    func testRegionCodesPadAndNest() throws {
        let city = try RegionCode("520100")
        XCTAssertEqual(city.value, "520100000000")
        XCTAssertEqual(city.impliedLevel, .city)
        XCTAssertEqual(try RegionCode("520102001001").impliedLevel, .village)
        XCTAssertTrue(city.contains(try RegionCode("520102001001")))
        XCTAssertFalse(city.contains(try RegionCode("510100")))
        XCTAssertThrowsError(try RegionCode("52010"))
        XCTAssertThrowsError(try RegionCode("000000"))
    }

    func testItemTypeNationalCodesRoundTrip() {
        XCTAssertEqual(ItemType.license.nationalCode, "01")
        XCTAssertEqual(ItemType.publicService.nationalCode, "20")
        for type in ItemType.allCases {
            XCTAssertEqual(ItemType(nationalCode: type.nationalCode), type)
            XCTAssertEqual(ItemType(anyName: type.chineseName), type)
        }
        XCTAssertNil(ItemType(anyName: "行政处罚"))
    }
}
