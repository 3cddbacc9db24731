"""The platforms' own UI downloads: Google Ads, Meta Ads Manager, Microsoft Advertising.

Each test writes a small file the way the platform's web interface writes it
(title lines, totals rows, footers, quoted thousands, censored shares, UTF-16 or
Korean headers), imports it without saying its format, and checks the numbers a
marketer would look at.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from adreport.errors import ImportRejectedError, InputFileError, MissingFactError
from adreport.ingest.importer import ImportOptions, import_file

FETCHED = datetime(2024, 3, 1, 9, 0)

# Google Ads "Campaign report" download, segmented by day (English interface).
GOOGLE_ROWS = [
    "Campaign report",
    '"January 15, 2024 - January 16, 2024"',
    "Day,Campaign status,Campaign,Campaign ID,Campaign type,Currency code,Impr.,"
    "Clicks,CTR,Avg. CPC,Cost,Conversions,Conv. value,Search impr. share",
    '2024-01-15,Enabled,Brand - Search,20123456789,Search,USD,"1,200",84,7.00%,1.47,'
    '123.45,6.00,"1,080.00",> 90%',
    '2024-01-15,Enabled,Generic - Search,20123456790,Search,USD,"10,500",210,2.00%,'
    "2.35,493.50,4.50,675.00,< 10%",
    '2024-01-16,Enabled,Brand - Search,20123456789,Search,USD,"1,100",77,7.00%,1.50,'
    "115.50,5.00,900.00,88.20%",
    '2024-01-16,Enabled,Generic - Search,20123456790,Search,USD,"9,800",196,2.00%,'
    "2.40,470.40,3.00,450.00,12.34%",
    '2024-01-16,Paused,Display - Remarketing,20123456791,Display,USD,"25,000",50,'
    "0.20%,0.80,40.00,0.00,0.00, --",
    'Total: Account,--,--,--,--,--,"47,600",617,1.30%,2.01,"1,242.85",18.50,'
    '"3,105.00",--',
    'Total: Search,--,--,--,--,--,"22,600",567,2.51%,2.12,"1,202.85",18.50,'
    '"3,105.00",--',
    'Total: Display,--,--,--,--,--,"25,000",50,0.20%,0.80,40.00,0.00,0.00,--',
    'Total: Campaigns,--,--,--,--,--,"47,600",617,1.30%,2.01,"1,242.85",18.50,'
    '"3,105.00",--',
]


def _google_csv(delimiter: str = ",") -> str:
    if delimiter == ",":
        return "\r\n".join(GOOGLE_ROWS) + "\r\n"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for line in GOOGLE_ROWS:
        writer.writerow(next(csv.reader([line])))
    return out.getvalue()


def _import(lab, name, text, encoding="utf-8", **options):
    path = lab.write(name, text, encoding)
    options.setdefault("fetched_at", FETCHED)
    return import_file(lab.warehouse, path, ImportOptions(**options))


def _check_google_totals(lab, result):
    assert result.format == "google-ads"
    assert result.rows_read == 5  # the four Total rows are not data
    assert result.censored == 2  # "> 90%" and "< 10%": withheld, not 0
    totals = lab.one("spend,clicks,impressions,conversions,revenue,ctr", currency="USD")
    assert totals["spend"] == Decimal("1242.85")
    assert totals["clicks"] == 617
    assert totals["impressions"] == 47600
    assert totals["conversions"] == Decimal("18.5")
    assert totals["revenue"] == Decimal("3105")
    assert totals["ctr"] == pytest.approx(617 / 47600)


def test_google_ads_csv_download_skips_title_and_total_rows(lab):
    result = _import(lab, "Campaign report.csv", _google_csv(), account="123-456-7890")

    _check_google_totals(lab, result)
    by_channel = {
        r["channel"]: r["spend"] for r in lab.query("spend", by="channel").records()
    }
    assert by_channel == {"search": Decimal("1202.85"), "display": Decimal("40")}
    by_day = {r["date"]: r["clicks"] for r in lab.query("clicks", by="date").records()}
    assert by_day == {date(2024, 1, 15): 294, date(2024, 1, 16): 323}


def test_google_ads_excel_csv_is_utf16_with_tabs(lab):
    text = _google_csv(delimiter="\t")

    result = _import(lab, "Campaign report.csv", text, "utf-16", account="1234567890")

    assert lab.folder.joinpath("Campaign report.csv").read_bytes()[:2] == b"\xff\xfe"
    _check_google_totals(lab, result)


def test_google_ads_windows_1252_names_are_read_right(lab):
    text = (
        "Campaign report\r\n"
        '"March 1, 2024 - March 1, 2024"\r\n'
        "Day,Campaign,Impr.,Clicks,Cost,Currency code\r\n"
        "2024-03-01,Café – Brand,100,5,12.00,EUR\r\n"
        "Total: Account,--,100,5,12.00,--\r\n"
    )

    result = _import(lab, "cafe.csv", text, "cp1252", account="555-000-1111")

    assert result.format == "google-ads"
    [(name,)] = lab.warehouse.rows("SELECT name FROM campaigns WHERE campaign_id <> ''")
    assert name == "Café – Brand"
    assert lab.one("spend", currency="EUR")["spend"] == Decimal("12")


def test_google_ads_cost_header_naming_its_currency(lab):
    text = (
        "Campaign report\n"
        "Day,Campaign,Impr.,Clicks,Cost (GBP)\n"
        "2024-03-01,Brand,100,5,12.50\n"
    )

    _import(lab, "gbp.csv", text, account="555-000-1111")

    assert lab.warehouse.rows("SELECT DISTINCT currency FROM facts") == [("GBP",)]


def test_google_ads_manager_download_carries_the_accounts(lab):
    text = (
        "Campaign report\n"
        '"March 1, 2024 - March 1, 2024"\n'
        "Day,Account,Customer ID,Campaign,Currency code,Impr.,Clicks,Cost\n"
        "2024-03-01,Shop US,123-456-7890,Brand,USD,100,5,12.00\n"
        '2024-03-01,Shop KR,987-654-3210,Brand,KRW,300,9,"15,000"\n'
        "Total: Account,--,--,--,--,400,14,--\n"
    )

    _import(lab, "mcc.csv", text)

    rows = lab.warehouse.rows(
        "SELECT account_id, currency, spend FROM facts ORDER BY account_id"
    )
    assert rows == [
        ("1234567890", "USD", Decimal("12")),
        ("9876543210", "KRW", Decimal("15000")),
    ]


# The same report from the Korean interface, saved as UTF-8 with a byte-order mark.
GOOGLE_KO = (
    "캠페인 보고서\n"
    "2024. 1. 15.~2024. 1. 16.\n"
    "일,캠페인 상태,캠페인,캠페인 ID,캠페인 유형,통화 코드,노출수,클릭수,클릭률(CTR),"
    "평균 CPC,비용,전환수,전환 가치,검색 노출 점유율\n"
    '2024. 1. 15.,사용 설정됨,브랜드_검색,301,검색,KRW,"1,500",90,6.00%,"1,100",'
    '"99,000",4.00,"480,000",> 90%\n'
    '2024. 1. 16.,사용 설정됨,브랜드_검색,301,검색,KRW,"1,450",87,6.00%,"1,000",'
    '"87,000",3.00,"360,000",85.10%\n'
    '2024. 1. 16.,사용 설정됨,쇼핑_전체,302,쇼핑,KRW,"8,000",40,0.50%,"1,500",'
    '"60,000",2.50,"250,000",< 10%\n'
    '총계: 계정,--,--,--,--,--,"10,950",217,1.98%,"1,134","246,000",9.50,'
    '"1,090,000",--\n'
    '전체: 캠페인,--,--,--,--,--,"10,950",217,1.98%,"1,134","246,000",9.50,'
    '"1,090,000",--\n'
)


def test_google_ads_korean_download(lab):
    result = _import(lab, "캠페인 보고서.csv", "\ufeff" + GOOGLE_KO, account="777")

    assert result.format == "google-ads-ko"
    assert result.rows_read == 3
    assert result.censored == 2
    totals = lab.one("spend,clicks,conversions,revenue,roas", currency="KRW")
    assert totals["spend"] == Decimal("246000")
    assert totals["clicks"] == 217
    assert totals["conversions"] == Decimal("9.5")
    assert totals["roas"] == pytest.approx(1090000 / 246000)
    by_channel = {
        r["channel"]: r["clicks"] for r in lab.query("clicks", by="channel").records()
    }
    assert by_channel == {"search": 177, "shopping": 40}
    days = [r["date"] for r in lab.query("clicks", by="date").records()]
    assert days == [date(2024, 1, 15), date(2024, 1, 16)]


def test_google_ads_report_without_day_needs_a_date(lab):
    text = (
        "Campaign report\n"
        "Campaign,Impr.,Clicks,Cost,Currency code\n"
        "Brand,1,1,1.00,USD\n"
    )

    with pytest.raises(MissingFactError, match="--date"):
        _import(lab, "nodays.csv", text, account="1")


# Meta Ads Manager export, ad level, broken down by day (English interface).
META_HEAD = (
    "Reporting starts,Reporting ends,Campaign name,Ad set name,Ad name,Day,"
    "Attribution setting,Results,Result indicator,Reach,Frequency,Cost per results,"
    "Amount spent (KRW),Impressions,Link clicks,CTR (link click-through rate),"
    "Purchases,Purchases conversion value"
)
META_ROWS = [
    "2024-02-01,2024-02-02,Spring Sale,Women 25-34,Video A,2024-02-01,"
    "7-day click or 1-day view,3,actions:offsite_conversion.fb_pixel_purchase,1800,"
    '1.33,"15,000","45,000","2,400",60,2.5,3,"210,000"',
    "2024-02-01,2024-02-02,Spring Sale,Women 25-34,Video A,2024-02-02,"
    "7-day click or 1-day view,2,actions:offsite_conversion.fb_pixel_purchase,1500,"
    '1.4,"20,000","40,000","2,100",42,2,2,"150,000"',
    "2024-02-01,2024-02-02,Traffic Push,Broad,Carousel B,2024-02-01,"
    '7-day click or 1-day view,120,actions:link_click,9000,1.11,250,"30,000",'
    '"10,000",120,1.2,,',
]


def test_meta_ads_manager_csv_captures_the_currency_from_the_header(lab):
    text = "\n".join([META_HEAD, *META_ROWS]) + "\n"

    result = _import(lab, "Meta-Ads-Export.csv", text, account="act_1001")

    assert result.format == "meta-ads-manager"
    assert lab.warehouse.rows("SELECT DISTINCT currency FROM facts") == [("KRW",)]
    totals = lab.one("spend,clicks,impressions,conversions,revenue,cpa", currency="KRW")
    assert totals["spend"] == Decimal("115000")
    assert totals["clicks"] == 222
    assert totals["conversions"] == Decimal("5")  # the Purchases column, not Results
    assert totals["revenue"] == Decimal("360000")
    assert totals["cpa"] == pytest.approx(115000 / 5)
    settings = lab.warehouse.rows("SELECT DISTINCT attribution_setting FROM facts")
    assert settings == [("7-day click or 1-day view",)]
    assert lab.warehouse.rows(
        "SELECT DISTINCT channel FROM campaigns WHERE campaign_id <> ''"
    ) == [("social",)]


def test_meta_results_count_only_where_the_indicator_is_a_purchase(lab):
    table = list(csv.reader([META_HEAD, *META_ROWS]))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(row[:-2] for row in table)
    text = out.getvalue()
    assert "Purchases" not in text

    result = _import(lab, "results-only.csv", text, account="act_1001")

    by_ad = {
        r["ad"]: r["conversions"] for r in lab.query("conversions", by="ad").records()
    }
    assert by_ad == {"Video A": Decimal("5"), "Carousel B": None}  # n/a, not 0 or 120
    assert any("not a purchase" in note for note in result.notes)


# The Korean interface, with an age and gender breakdown, as UTF-8 with a BOM.
META_KO = (
    "\ufeff보고 시작,보고 종료,캠페인 이름,광고 세트 이름,일,연령,성별,기여 설정,결과,"
    "결과 표시 도구,도달,노출,링크 클릭,지출 금액 (KRW),구매,구매 전환값\n"
    "2024-02-01,2024-02-01,봄 세일,여성 25-34,2024-02-01,25-34,female,"
    "7일 클릭 또는 1일 조회,2,actions:omni_purchase,900,"
    '"1,200",30,"25,000",2,"98,000"\n'
    "2024-02-01,2024-02-01,봄 세일,여성 25-34,2024-02-01,35-44,female,"
    '7일 클릭 또는 1일 조회,1,actions:omni_purchase,600,800,20,"15,000",1,"49,000"\n'
    "2024-02-01,2024-02-01,봄 세일,여성 25-34,2024-02-01,25-34,male,"
    '7일 클릭 또는 1일 조회,,,100,150,3,"2,500",,\n'
)


def test_meta_ads_manager_korean_export_with_breakdowns(lab):
    result = _import(lab, "메타 광고 보고서.csv", META_KO, account="act_2002")

    assert result.format == "meta-ads-manager-ko"
    by_age = {
        r["age"]: (r["spend"], r["conversions"])
        for r in lab.query("spend,conversions", by="age", currency="KRW").records()
    }
    assert by_age == {
        "25-34": (Decimal("27500"), Decimal("2")),
        "35-44": (Decimal("15000"), Decimal("1")),
    }
    by_gender = {
        r["gender"]: r["clicks"] for r in lab.query("clicks", by="gender").records()
    }
    assert by_gender == {"female": 50, "male": 3}
    [(setting,)] = lab.warehouse.rows("SELECT DISTINCT attribution_setting FROM facts")
    assert setting == "7일 클릭 또는 1일 조회"


def test_meta_ads_manager_xlsx_reads_like_the_csv(lab, make_xlsx):
    header = META_HEAD.split(",")
    rows = [
        [
            date(2024, 2, 1),
            date(2024, 2, 2),
            "Spring Sale",
            "Women 25-34",
            "Video A",
            date(2024, 2, day),
            "7-day click or 1-day view",
            purchases,
            "actions:offsite_conversion.fb_pixel_purchase",
            reach,
            reach / 1000,
            spend / purchases,
            spend,
            impressions,
            clicks,
            0.1 + 0.2,
            purchases,
            value,
        ]
        for day, purchases, reach, spend, impressions, clicks, value in (
            (1, 3, 1800, 45000, 2400, 60, 210000.0),
            (2, 2, 1500, 40000.5, 2100, 42, 150000),
        )
    ]
    path = make_xlsx("Meta-Ads-Export.xlsx", [header, *rows])

    result = import_file(
        lab.warehouse, path, ImportOptions(account="act_1001", fetched_at=FETCHED)
    )

    assert result.format == "meta-ads-manager"
    totals = lab.one("spend,clicks,conversions,revenue", currency="KRW")
    assert totals == {
        "spend": Decimal("85000.5"),
        "clicks": 102,
        "conversions": Decimal("5"),
        "revenue": Decimal("360000"),
    }
    lines = lab.warehouse.rows("SELECT source_lines FROM facts ORDER BY date")
    assert lines == [("2",), ("3",)]  # the sheet's row numbers


def test_meta_xlsx_bad_cell_is_reported_at_its_sheet_row(lab, make_xlsx):
    header = [
        "Reporting starts",
        "Reporting ends",
        "Campaign name",
        "Day",
        "Amount spent (USD)",
        "Impressions",
    ]
    path = make_xlsx(
        "bad.xlsx",
        [
            header,
            [date(2024, 2, 1), date(2024, 2, 1), "A", date(2024, 2, 1), 10, 100],
            [],
            [date(2024, 2, 1), date(2024, 2, 1), "B", date(2024, 2, 1), 5, "lots"],
        ],
    )

    with pytest.raises(ImportRejectedError) as caught:
        import_file(lab.warehouse, path, ImportOptions(account="act_1"))

    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.value) == (4, "Impressions", "lots")


def test_meta_export_without_the_day_breakdown_needs_a_date(lab):
    text = (
        "Reporting starts,Reporting ends,Campaign name,Amount spent (USD),Impressions\n"
        "2024-02-01,2024-02-29,Spring Sale,1000.00,50000\n"
    )

    with pytest.raises(MissingFactError, match="--date"):
        _import(lab, "month.csv", text, account="act_1")


# Microsoft Advertising report download (Reporting API column names).
MICROSOFT_HEAD = [
    '"Report Name: Campaign performance"',
    '"Report Time: 1/15/2024, 1/16/2024"',
    '"Time Zone: (GMT-08:00) Pacific Time (US & Canada); Tijuana"',
    '"Last Completed Available Day: 1/17/2024 10:15:00 AM (GMT)"',
    '"Last Completed Available Hour: 1/17/2024 10:15:00 AM (GMT)"',
    '"Report Aggregation: {aggregation}"',
    '"Report Filter: "',
    '"Potential Incomplete Data: false"',
    '"Rows: {rows}"',
    "",
]
MICROSOFT_COLUMNS = (
    '"TimePeriod","AccountName","AccountNumber","AccountId","CampaignName",'
    '"CampaignId","CampaignType","CurrencyCode","DeviceType","Impressions","Clicks",'
    '"Ctr","AverageCpc","Spend","Conversions","Revenue"'
)
FOOTER = ["", '"©2024 Microsoft Corporation. All rights reserved. "']


def _microsoft(aggregation, rows):
    head = [
        line.format(aggregation=aggregation, rows=len(rows)) for line in MICROSOFT_HEAD
    ]
    return "\r\n".join([*head, MICROSOFT_COLUMNS, *rows, *FOOTER]) + "\r\n"


def test_microsoft_ads_daily_report_stops_at_the_footer(lab):
    rows = [
        '"2024-01-15","Contoso","X7000001","150001","Brand","90001",'
        '"Search & content","USD","Computer","1000","50","5.00%","0.80","40.00",'
        '"4","320.00"',
        '"2024-01-15","Contoso","X7000001","150001","Brand","90001",'
        '"Search & content","USD","Smartphone","3000","90","3.00%","0.50","45.00",'
        '"3","240.00"',
        '"2024-01-16","Contoso","X7000001","150001","Brand","90001",'
        '"Search & content","USD","Computer","1200","48","4.00%","0.75","36.00",'
        '"2","1,160.00"',
    ]

    result = _import(lab, "CampaignPerformance.csv", _microsoft("Daily", rows))

    assert result.format == "microsoft-ads"
    assert result.rows_read == 3
    totals = lab.one("spend,clicks,ctr,conversions,revenue", currency="USD")
    assert totals["spend"] == Decimal("121")
    assert totals["clicks"] == 188
    assert totals["ctr"] == pytest.approx(188 / 5200)
    assert totals["revenue"] == Decimal("1720")
    by_device = {
        r["device"]: r["clicks"] for r in lab.query("clicks", by="device").records()
    }
    assert by_device == {"desktop": 98, "mobile": 90}
    assert len(lab.warehouse.rows("SELECT DISTINCT account_id FROM facts")) == 1
    assert lab.warehouse.rows(
        "SELECT DISTINCT channel FROM campaigns WHERE campaign_id <> ''"
    ) == [("search",)]


def test_microsoft_ads_account_id_is_preferred_to_the_account_number(lab):
    rows = [
        '"2024-01-15","Contoso","X7000001","150001","Brand","90001",'
        '"Search & content","USD","Computer","1000","50","5.00%","0.80","40.00",'
        '"4","320.00"',
    ]

    _import(lab, "CampaignPerformance.csv", _microsoft("Daily", rows))

    assert lab.warehouse.rows("SELECT account_id FROM facts") == [("150001",)]


@pytest.mark.parametrize(
    "period", ["2023-11-11|{hour}", "11/11/2023 12:00:00 AM|{hour}"]
)
def test_microsoft_ads_hourly_rows_add_up_into_days(lab, period):
    rows = [
        f'"{period.format(hour=hour)}","Contoso","X7000001","150001","Brand","90001",'
        f'"Search & content","USD","Computer","100","{clicks}","","","{spend}","1",'
        '"10.00"'
        for hour, clicks, spend in ((0, 3, "1.50"), (1, 4, "2.25"), (23, 5, "3.00"))
    ]
    rows.append(
        '"2023-11-12|01","Contoso","X7000001","150001","Brand","90001",'
        '"Search & content","USD","Computer","100","7","","","4.00","0","0.00"'
        if period.startswith("2023")
        else '"11/12/2023 12:00:00 AM|1","Contoso","X7000001","150001","Brand",'
        '"90001","Search & content","USD","Computer","100","7","","","4.00","0",'
        '"0.00"'
    )

    result = _import(lab, "hourly.csv", _microsoft("Hourly", rows))

    by_day = {
        r["date"]: (r["clicks"], r["spend"])
        for r in lab.query("clicks,spend", by="date", currency="USD").records()
    }
    assert by_day == {
        date(2023, 11, 11): (12, Decimal("6.75")),
        date(2023, 11, 12): (7, Decimal("4")),
    }
    assert "hourly rows were added up into days" in result.notes
    assert lab.warehouse.rows("SELECT count(*) FROM facts") == [(2,)]


def test_microsoft_ads_weekly_report_is_refused(lab):
    rows = [
        '"2024-01-14","Contoso","X7000001","150001","Brand","90001",'
        '"Search & content","USD","Computer","7000","350","5.00%","0.80","280.00",'
        '"20","1600.00"',
    ]

    with pytest.raises(InputFileError, match="Weekly aggregation"):
        _import(lab, "weekly.csv", _microsoft("Weekly", rows))

    assert lab.warehouse.rows("SELECT count(*) FROM facts") == [(0,)]


def test_microsoft_ads_web_interface_download(lab):
    text = (
        '"Report Name: Campaign report"\n'
        '"Report Time: 1/15/2024,1/16/2024"\n'
        '"Time Zone: (GMT+09:00) Seoul"\n'
        '"Last Completed Available Day: 1/17/2024 1:20:00 AM (GMT)"\n'
        '"Last Completed Available Hour: 1/17/2024 1:20:00 AM (GMT)"\n'
        '"Report Aggregation: Daily"\n'
        '"Report Filter: "\n'
        '"Rows: 2"\n'
        "\n"
        '"Gregorian date","Account name","Account number","Campaign name",'
        '"Campaign ID","Currency code","Impressions","Clicks","CTR (%)","Spend",'
        '"Conversions"\n'
        '"1/15/2024","Contoso KR","B0123","Brand","90001","KRW","1,000","50","5.00%",'
        '"40,000","4"\n'
        '"1/16/2024","Contoso KR","B0123","Brand","90001","KRW","1,200","48","4.00%",'
        '"36,000","2"\n'
        "\n"
        '"©2024 Microsoft Corporation. All rights reserved. "\n'
    )

    result = _import(lab, "Campaign report.csv", text)

    assert result.format == "microsoft-ads-ui"
    totals = lab.one("spend,clicks,conversions", currency="KRW")
    assert totals == {
        "spend": Decimal("76000"),
        "clicks": 98,
        "conversions": Decimal("6"),
    }
    days = [r["date"] for r in lab.query("clicks", by="date").records()]
    assert days == [date(2024, 1, 15), date(2024, 1, 16)]


def test_an_unknown_csv_lists_the_formats_adreport_knows(lab):
    path = lab.write("mystery.csv", "when,what,how much\n2024-01-01,x,3\n")

    with pytest.raises(InputFileError) as caught:
        import_file(lab.warehouse, path, ImportOptions())

    message = str(caught.value)
    assert "not a format adreport knows" in message
    for name in ("google-ads", "google-ads-ko", "meta-ads-manager", "microsoft-ads"):
        assert f"  {name} " in message
    assert "--format" in message
