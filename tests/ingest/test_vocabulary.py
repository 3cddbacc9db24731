"""One model: devices, genders and channels in one vocabulary across platforms."""

from __future__ import annotations

from decimal import Decimal


def test_devices_and_genders_are_one_word_each_across_platforms(lab):
    lab.load(
        "devices.csv",
        "date,platform,account_id,currency,campaign_id,device,gender,spend\n"
        "2024-05-01,google-ads,G1,USD,C1,MOBILE,,1\n"
        "2024-05-01,microsoft-ads,B1,USD,C2,Smartphone,,2\n"
        "2024-05-01,meta,M1,USD,C3,iphone,F,3\n"
        "2024-05-01,meta,M1,USD,C4,Computer,여성,4\n"
        "2024-05-01,meta,M1,USD,C5,DESKTOP,M,5\n",
    )

    devices = {
        r["device"]: r["spend"] for r in lab.query("spend", by="device").records()
    }
    genders = {
        r["gender"]: r["spend"] for r in lab.query("spend", by="gender").records()
    }

    assert devices == {"mobile": Decimal(6), "desktop": Decimal(9)}
    assert genders == {"": Decimal(3), "female": Decimal(7), "male": Decimal(5)}


def test_connector_rows_get_a_channel_from_network_or_platform(lab):
    lab.load(
        "channels.csv",
        "date,platform,account_id,currency,campaign_id,ad_id,network,spend\n"
        "2024-05-01,google-ads,G1,USD,C1,,SEARCH,1\n"
        "2024-05-01,google-ads,G1,USD,C2,,YOUTUBE_WATCH,2\n"
        "2024-05-01,meta,M1,USD,,A9,,4\n",
    )

    channels = {
        r["channel"]: r["spend"] for r in lab.query("spend", by="channel").records()
    }

    assert channels == {"search": Decimal(1), "video": Decimal(2), "social": Decimal(4)}
