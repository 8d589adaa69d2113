"""Wilayah and the IMP registry."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.store.db import Base


class Wilayah(Base):
    """A Kemendagri region: provinsi, kabupaten/kota, kecamatan or desa/kelurahan."""

    __tablename__ = "wilayah"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)  # dotted: 32.77.01.1001
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer)  # 1 provinsi .. 4 desa/kelurahan
    kind: Mapped[str] = mapped_column(String(20))  # provinsi, kabupaten, kota, kecamatan, desa...
    parent_code: Mapped[str | None] = mapped_column(String(13), index=True)


class Institution(Base):
    """An IMP: PPKBD (desa), Sub-PPKBD (RW) or Kelompok KB (RT), with its parent IMP."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # ppkbd, sub_ppkbd, kelompok_kb
    desa_code: Mapped[str] = mapped_column(ForeignKey("wilayah.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    rw: Mapped[str | None] = mapped_column(String(5))
    rt: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Institution | None] = relationship(remote_side=[id])
